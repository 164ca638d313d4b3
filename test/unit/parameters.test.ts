// Scenario parameters: declared with defaults, used as "${name}", overridden with --set; a
// wrong name or value is one clear message, where it matters.
import { readFileSync } from 'node:fs';
import t from 'tap';
import { ScenarioError, UserError } from '../../src/errors.js';
import { parseScenario } from '../../src/scenario/load.js';
import { parseSets } from '../../src/scenario/parameters.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { FLAGSHIP } from '../helpers.js';

const text = readFileSync(FLAGSHIP, 'utf8');
const labWith = (...sets: string[]) => resolveLab(parseScenario(text, 'f.yaml', parseSets(sets)), { stateRoot: '/run/lablb' });
const monitor = (lab: ReturnType<typeof labWith>) =>
  (lab.nodes.find((n) => n.name === 'qlbaas-01')!.services[0].spec as { frontends: { pool: { monitor: { delay: number; maxRetries: number } } }[] })
    .frontends[0].pool.monitor;
const problems = (fn: () => unknown): string[] => {
  try {
    fn();
    return [];
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems.map((p) => `${p.line}: ${p.path}: ${p.message}`);
    if (err instanceof UserError) return [`${err.message} | ${err.hint ?? ''}`];
    throw err;
  }
};

t.test('defaults apply; --set overrides, typed as YAML reads a scalar', async (t) => {
  t.equal(monitor(labWith()).delay, 1);
  t.equal(monitor(labWith('health_monitor.delay=5')).delay, 5);
  t.equal(monitor(labWith('health_monitor.delay=0.5', 'health_monitor.max_retries=2')).maxRetries, 2);
  t.equal(labWith('probe.interval_ms=20').experiment!.probes[0].intervalMs, 20);
  t.same(
    [...parseSets(['a.b=text', 'c=true', 'd=7'])],
    [
      ['a.b', 'text'],
      ['c', true],
      ['d', 7],
    ],
  );
});

t.test('a wrong name or value is one clear message', async (t) => {
  t.same(
    problems(() => labWith('health_monitor.dealy=5')),
    ['lablb: unused | its parameters: health_monitor.delay (default 1), health_monitor.max_retries (default 3), probe.interval_ms (default 50)'].map((l) =>
      l.replace('lablb: unused', '--set health_monitor.dealy: f.yaml has no parameter named "health_monitor.dealy"; did you mean "health_monitor.delay"?'),
    ),
  );
  t.same(
    problems(() => labWith('health_monitor.delay=soon')),
    ['73: nodes[2].services[0].pool.health_monitor.delay: expected a number, got the text "soon" (from --set health_monitor.delay=soon)'],
  );
  t.same(
    problems(() => parseSets(['=5'])),
    ['--set "=5": expected name=value, e.g. --set health_monitor.delay=5 | '],
  );
  t.same(
    problems(() => parseSets(['x=[1, 2]'])),
    ['--set x: the value must be a number, true/false or text, got "[1, 2]" | '],
  );
});

t.test('a use of an undeclared parameter is reported where it is', async (t) => {
  const bad = text.replace('timeout: 5, max_retries', 'timeout: "${health_monitor.timeout}", max_retries');
  t.same(
    problems(() => resolveLab(parseScenario(bad, 'f.yaml'), { stateRoot: '/run/lablb' })),
    [
      '73: nodes[2].services[0].pool.health_monitor.timeout: no parameter named "health_monitor.timeout"; did you mean "health_monitor.delay"?; declare it under parameters:',
    ],
  );
});

t.test('a probe is an HTTP URL, a TCP stream or sessions, one of them', async (t) => {
  const l3 = readFileSync(FLAGSHIP.replace('floating-ip-lb.yaml', 'l3-ha.yaml'), 'utf8');
  t.same(
    problems(() =>
      resolveLab(
        parseScenario(
          l3.replace('tcp: "10.255.253.1:9000", mode: push,', 'url: "http://10.255.253.1:9000/", tcp: "10.255.253.1:9000", mode: push,'),
          'l3.yaml',
        ),
        { stateRoot: '/run/lablb' },
      ),
    ),
    ['154: experiment.probes[3]: say what to probe, one of: url: http://..., tcp: address:port, or sessions: { port: N }'].map((l) =>
      l.replace(/^\d+/, String(l3.split('\n').findIndex((x) => x.includes('name: push, from: vm2')) + 1)),
    ),
  );
  const lab = resolveLab(parseScenario(l3, 'l3.yaml'), { stateRoot: '/run/lablb' });
  t.same(
    lab.experiment!.probes.map((p) => [p.name, p.url ?? `${p.tcp} ${p.mode}`]),
    [
      ['fip', 'http://10.255.253.100/'],
      ['snat', 'http://10.255.253.1:8080/'],
      ['metadata', 'http://169.254.169.254/latest/meta-data/hostname'],
      ['push', '10.255.253.1:9000 push'],
      ['echo', '10.255.253.1:9000 echo'],
    ],
  );
});
