// The experiment runner against the fake host: probes start in their nodes, the warm-up waits
// for replies and for every service to settle, steps run in order with typed events, an abort
// stops between steps, and a lab that never answers fails its warm-up with a reason.
import t, { type Test } from 'tap';
import type { HostDriver } from '../../src/host.js';
import type { Lab } from '../../src/model.js';
import { runExperiment, type ExperimentDeps } from '../../src/experiment/run.js';
import { Observation } from '../../src/observe/hub.js';
import type { Op } from '../../src/kinds/ops.js';
import type { LabEvent } from '../../src/kinds/events.js';
import { fakeHost } from '../fake-host.js';
import { labFromText } from '../helpers.js';

const SCENARIO = `name: two-hosts
switch: { bridges: [br-int] }
networks:
  - { name: net1, bridge: br-int, vlan: 1, cidr: 10.0.0.0/24 }
nodes:
  - name: client
    role: external
    ports: [{ name: eth0, network: net1, address: 10.0.0.2, bridge_port: tapclient }]
  - name: server
    role: vm
    ports: [{ name: eth0, network: net1, address: 10.0.0.3, bridge_port: tapserver }]
    services: [{ name: web, kind: http-text, listen: 10.0.0.3:80, text: hello }]
experiment:
  probe: { from: client, url: "http://10.0.0.3/", interval_ms: 10 }
  steps:
    - { name: answers, kind: traffic, samples: 5, expect: { only: [hello] } }
    - { name: cut, kind: link-down, port: server/eth0 }
    - { name: nap, kind: sleep, ms: 10 }
`;

/** An observation stopped when the test ends (the runner leaves that to its caller). */
function observe(t: Test, lab: Lab, host: HostDriver, emit: (e: LabEvent) => void): Observation {
  const o = new Observation(lab, host, emit);
  t.teardown(() => o.stop());
  return o;
}

/** The experiment on the fake host, with what a test changes of its deps. */
function experiment(t: Test, lab: Lab, host: HostDriver, deps: Partial<ExperimentDeps> = {}) {
  return runExperiment({
    lab,
    host,
    apply: async () => {},
    observation: observe(t, lab, host, () => {}),
    emit: () => {},
    signal: new AbortController().signal,
    datapath: 'netdev',
    ...deps,
  });
}

/** A prober that answers "hello" every 5 ms while it runs. */
function answering(body = 'hello') {
  return (_argv: string[], print: (line: string) => void) => {
    let seq = 0;
    const timer = setInterval(() => print(JSON.stringify({ seq: ++seq, t: Date.now(), ok: true, ms: 1, body })), 5);
    return () => clearInterval(timer);
  };
}

t.test('probes, warm-up, steps in order, each with its typed events', async (t) => {
  const lab = labFromText(SCENARIO);
  const host = fakeHost({ piped: answering() });
  const events: LabEvent[] = [];
  const applied: Op[] = [];
  const checks = await runExperiment({
    lab,
    host,
    apply: async (ops) => void applied.push(...ops),
    observation: observe(t, lab, host, (e) => events.push(e)),
    emit: (e) => events.push(e),
    signal: new AbortController().signal,
    datapath: 'netdev',
  });
  t.same(
    checks.map((c) => [c.name, c.ok]),
    [
      ['answers', true],
      ['cut', true],
      ['nap', true],
    ],
  );
  t.match(
    host.log.find((l) => l.startsWith('piped')),
    /^piped ip netns exec client .*prober\.js --url http:\/\/10\.0\.0\.3\/ --interval-ms 10/,
  );
  t.same(
    events.filter((e) => e.type === 'step').map((e) => (e.type === 'step' ? e.name : '')),
    ['answers', 'cut', 'nap'],
  );
  t.same(
    events.filter((e) => e.type === 'check').map((e) => (e.type === 'check' ? e.name : '')),
    ['answers', 'cut', 'nap'],
  );
  t.match(applied[0], { kind: 'run', argv: ['ip', '-n', 'server', 'link', 'set', 'eth0', 'down'], undo: { id: 'link:server/eth0' } });
  // An instant step may see no probe at all; then it says nothing of traffic, never "0 of 0".
  t.match(checks[1].detail, /^server\/eth0 is down \(\d+ ms\)(; 0 of [1-9]\d* requests failed meanwhile)?$/);
  t.ok(host.log.includes('piped stop'), 'the prober is stopped at the end');
});

t.test('an abort stops between steps', async (t) => {
  const lab = labFromText(SCENARIO);
  const host = fakeHost({ piped: answering() });
  const ac = new AbortController();
  const checks = await experiment(t, lab, host, {
    emit: (e) => {
      if (e.type === 'check' && e.name === 'answers') ac.abort();
    },
    signal: ac.signal,
  });
  t.same(
    checks.map((c) => c.name),
    ['answers'],
    'the running step finished; nothing after it started',
  );
});

t.test('a lab that never answers fails its warm-up, saying what it waited for', async (t) => {
  const lab = labFromText(SCENARIO);
  const host = fakeHost();
  const checks = await experiment(t, lab, host, { warmupMs: 50 });
  t.same(checks, [{ name: 'warm-up', ok: false, detail: 'no replies from http://10.0.0.3/ within 50 ms (last: nothing)' }]);
});

t.test('a load balancer whose members never come UP fails the warm-up with their states', async (t) => {
  const { loadFixtureLab } = await import('../helpers.js');
  const lab = loadFixtureLab();
  const host = fakeHost({ piped: answering('server_81') });
  const checks = await experiment(t, lab, host, { warmupMs: 100 });
  t.same(checks, [{ name: 'warm-up', ok: false, detail: 'load balancer members not UP: vm1 no stats, vm2 no stats within 100 ms' }]);
});

t.test('every observer runs before the first step, with no screen: plain lines and --json see what the screen sees', async (t) => {
  const lab = labFromText(SCENARIO);
  const host = fakeHost({ piped: answering() });
  let firstStep = -1;
  const checks = await experiment(t, lab, host, {
    emit: (e) => {
      if (e.type === 'step' && firstStep < 0) firstStep = host.log.length;
    },
  });
  t.ok(checks.every((c) => c.ok));
  const before = host.log.slice(0, firstStep);
  t.ok(
    before.some((l) => /query ip -n server -o -4 addr show/.test(l)),
    'the addresses observer polled before step 1',
  );
});
