// Bad scenarios get exactly these messages, with file, line, column and field path; bad files
// (empty, binary, huge, a directory, missing) one message each.
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ScenarioError } from '../../src/errors.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { editDistance, nearest } from '../../src/suggest.js';
import { FLAGSHIP, labFromText, ROOT } from '../helpers.js';

const base = readFileSync(FLAGSHIP, 'utf8');
const BROKEN = join(ROOT, 'test', 'fixtures', 'broken');

function problems(file: string): string[] {
  try {
    resolveLab(loadScenarioFile(file), { stateRoot: '/run/lablb' });
  } catch (err) {
    if (err instanceof ScenarioError) return err.message.split('\n');
    throw err;
  }
  return [];
}

t.test('the flagship scenario is valid', async (t) => {
  t.same(problems(FLAGSHIP), []);
});

// Each file under test/fixtures/broken/ is the flagship with one mistake; its last lines
// ("# expect: FILE:line:col: path: message") are exactly what lablb must say, all of it.
const fixtures = readdirSync(BROKEN)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
t.ok(fixtures.length >= 30, `${fixtures.length} broken scenarios`);
for (const name of fixtures) {
  const file = join(BROKEN, name);
  const text = readFileSync(file, 'utf8');
  const expected = [...text.matchAll(/^# expect: (.*)$/gm)].map((m) => m[1].replace(/^FILE/, file));
  t.test(name, async (t) => {
    t.ok(expected.length > 0, 'the fixture says what to expect');
    t.same(problems(file), expected);
  });
}

t.test('the scenario parser needs no file', async (t) => {
  t.same(
    (() => {
      try {
        parseScenario(base.replace('vlan: 1 ', 'vlan: x '), 'inline.yaml');
        return [];
      } catch (err) {
        return (err as Error).message.split('\n');
      }
    })(),
    ['inline.yaml:25:11: networks[0].vlan: expected a number, got the text "x"'],
  );
});

t.test('files that are not scenarios', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-validate-'));
  const msg = (file: string) => {
    try {
      loadScenarioFile(file);
      return 'loaded';
    } catch (err) {
      return (err as Error).message;
    }
  };
  writeFileSync(join(dir, 'empty.yaml'), '\n\n');
  writeFileSync(join(dir, 'binary.yaml'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2]));
  writeFileSync(join(dir, 'huge.yaml'), 'x'.repeat(1024 * 1024 + 1));
  writeFileSync(join(dir, 'list.yaml'), '- a\n- b\n');
  writeFileSync(join(dir, 'truncated.yaml'), base.slice(0, 700));
  mkdirSync(join(dir, 'adir.yaml'));
  t.equal(msg(join(dir, 'empty.yaml')), `${join(dir, 'empty.yaml')}: is empty; a scenario needs at least name, switch, networks and nodes`);
  t.equal(msg(join(dir, 'binary.yaml')), `${join(dir, 'binary.yaml')}: is a binary file (it contains NUL bytes), not YAML`);
  t.equal(msg(join(dir, 'huge.yaml')), `${join(dir, 'huge.yaml')}: is 1048577 bytes; a scenario file is at most 1048576 bytes`);
  t.equal(msg(join(dir, 'list.yaml')), `${join(dir, 'list.yaml')}:1:1: expected a mapping with name, switch, networks and nodes`);
  t.match(msg(join(dir, 'truncated.yaml')), /truncated\.yaml:\d+:\d+: (switch|networks|nodes): missing required field/);
  t.equal(msg(join(dir, 'adir.yaml')), `${join(dir, 'adir.yaml')}: is a directory, not a scenario file`);
  t.equal(msg(join(dir, 'nope.yaml')), `${join(dir, 'nope.yaml')}: no such file`);
});

t.test('suggestions', async (t) => {
  t.equal(editDistance('kitten', 'sitting'), 3);
  t.equal(nearest('adress', ['address', 'network']), 'address');
  t.equal(nearest('zzz', ['address', 'network']), undefined, 'nothing close: no suggestion');
});

t.test("pitfall 5: an HA network's 255th VRRP group is refused at its template, naming Neutron's limit", async (t) => {
  const text = (count: number) =>
    [
      'name: vrids',
      'switch: { bridges: [br-int] }',
      'networks: [{ name: ha-net, bridge: br-int, vlan: 2, cidr: 169.254.192.0/18 }]',
      'nodes: [{ name: ext, role: external, ports: [{ name: eth0, network: ha-net, address: 169.254.255.254, bridge_port: ext-ha }] }]',
      'repeat:',
      `  - count: ${count}`,
      '    nodes:',
      '      - name: "qrouter-{i}"',
      '        role: router',
      '        ports: [{ name: "ha-{i}", network: ha-net, address: "169.254.{192 + i / 250}.{i % 250 + 1}", bridge_port: "ha-{i}" }]',
      '        services:',
      '          - { name: vrrp, kind: keepalived, instances: [{ name: "VR_{i}", interface: "ha-{i}", virtual_router_id: "{i}", priority: 50, virtual_ipaddress: ["169.254.0.{i}/24"] }] }',
    ].join('\n');
  t.equal(labFromText(text(254)).nodes.length, 255, '254 HA routers fit');
  try {
    labFromText(text(255));
    t.fail('255 were accepted');
  } catch (err) {
    const problems = (err as ScenarioError).problems;
    t.equal(problems.length, 1);
    t.equal(problems[0].line, 12);
    t.equal(problems[0].path, 'repeat[0].nodes[0].services[0].instances[0].virtual_router_id');
    t.match(
      problems[0].message,
      /^VR_255 is the 255th VRRP group on ha-net: Neutron gives an HA network the virtual_router_ids 1 to 254, .*NoVRIDAvailable.* \(in copy 255, i=255\)$/,
    );
  }
});
