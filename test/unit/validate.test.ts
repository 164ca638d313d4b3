// Bad scenarios: each mutation of the flagship gets exactly these messages, with file, line,
// column and field path.
import { mkdtempSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ScenarioError } from '../../src/errors.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { editDistance, nearest } from '../../src/scenario/suggest.js';
import { FLAGSHIP } from '../helpers.js';

const base = readFileSync(FLAGSHIP, 'utf8');

function problems(text: string): string[] {
  try {
    resolveLab(parseScenario(text, 'f.yaml'), { stateRoot: '/run/lablb' });
  } catch (err) {
    if (err instanceof ScenarioError) return err.message.split('\n');
    throw err;
  }
  return [];
}

function mutate(from: string | RegExp, to: string): string {
  const out = base.replace(from, to);
  if (out === base) throw new Error(`mutation did not apply: ${String(from)}`);
  return out;
}

t.test('the flagship scenario is valid', async (t) => {
  t.same(problems(base), []);
});

const cases: [string, string, string[]][] = [
  ['misspelled key', mutate('bridge_port: tapvm1', 'bridge_prot: tapvm1'), [
    'f.yaml:28:65: nodes[0].ports[0].bridge_prot: unknown field "bridge_prot"; did you mean "bridge_port"?',
  ]],
  ['not an IPv4 address', mutate('address: 10.0.0.81,', 'address: 10.0.0.381,'), [
    'f.yaml:28:54: nodes[0].ports[0].address: got "10.0.0.381"; expected an IPv4 address such as 10.0.0.81',
  ]],
  ['address outside its subnet', mutate('address: 10.0.0.82,', 'address: 10.0.1.82,'), [
    'f.yaml:38:54: nodes[1].ports[0].address: 10.0.1.82 is outside tenant1-net (10.0.0.0/24)',
    'f.yaml:40:29: nodes[1].routes[0].via: gateway 10.0.0.1 is not on any network of vm2',
    'f.yaml:42:47: nodes[1].services[0].listen: 10.0.0.82 is not an address of vm2 (10.0.1.82)',
  ]],
  ['VLAN out of range', mutate('vlan: 1 ', 'vlan: 5000 '), [
    'f.yaml:18:11: networks[0].vlan: 5000 is out of range; must be <= 4094 (a VLAN tag from 1 to 4094)',
  ]],
  ['unknown network', mutate('network: tenant1-net, address: 10.0.0.81', 'network: tenant-net, address: 10.0.0.81'), [
    'f.yaml:28:32: nodes[0].ports[0].network: no network named "tenant-net"; did you mean "tenant1-net"?',
    'f.yaml:30:29: nodes[0].routes[0].via: gateway 10.0.0.1 is not on any network of vm1',
  ]],
  ['duplicate node', mutate('name: vm2', 'name: vm1'), [
    'f.yaml:35:11: nodes[1].name: node vm1 is defined twice',
    'f.yaml:69:65: nodes[2].services[0].pool.members[1].node: no node named "vm2"; did you mean "vm1"?',
    'f.yaml:104:16: experiment.steps[1].service: no node named "vm2"; did you mean "vm1"?',
    'f.yaml:111:16: experiment.steps[2].service: no node named "vm2"; did you mean "vm1"?',
  ]],
  ['YAML syntax', mutate('bridges: [br-int, br-ex]', 'bridges: [br-int, br-ex'), [
    'f.yaml:15:1: YAML syntax: Flow sequence in block collection must be sufficiently indented and end with a ]',
  ]],
  ['unknown step kind', mutate('kind: stop-service', 'kind: stop-servce'), [
    'f.yaml:103:13: experiment.steps[1].kind: unknown kind "stop-servce"; known: traffic, stop-service, start-service, http-get, nat-counters (did you mean "stop-service"?)',
  ]],
  ['interface name over 15 characters', mutate('bridge_port: tapvm1', 'bridge_port: tapvm1-very-long-name'), [
    'f.yaml:28:78: nodes[0].ports[0].bridge_port: got "tapvm1-very-long-name"; expected an interface name: 1-15 letters, digits, "_", "." or "-"',
  ]],
  ['TCP port out of range', mutate('protocol_port: 80\n          protocol: HTTP', 'protocol_port: 70000\n          protocol: HTTP'), [
    'f.yaml:58:26: nodes[2].services[0].listener.protocol_port: 70000 is out of range; must be <= 65535 (a TCP/UDP port number)',
  ]],
  ['step watches a member that does not exist', mutate('member: vm2 }\n      within_ms: 6000', 'member: vm3 }\n      within_ms: 6000'), [
    'f.yaml:105:52: experiment.steps[1].watch.member: qlbaas-01/lb has no member on node "vm3"; did you mean "vm1"?',
  ]],
  ['floating IP on the wrong network', mutate('floating_ip_address: 10.255.253.100, fixed', 'floating_ip_address: 10.0.0.200, fixed'), [
    'f.yaml:84:34: nodes[3].l3.floating_ips[0].floating_ip_address: 10.0.0.200 is not on the gateway\'s network (ext-net)',
    'f.yaml:125:28: experiment.steps[4].floating_ip_address: qrouter01 has no floating IP 10.255.253.100',
  ]],
  ['same address twice on a network', mutate('address: 10.0.0.82,', 'address: 10.0.0.81,'), [
    'f.yaml:38:54: nodes[1].ports[0].address: 10.0.0.81 is already used on tenant1-net by vm1/eth0',
    'f.yaml:42:47: nodes[1].services[0].listen: 10.0.0.82 is not an address of vm2 (10.0.0.81)',
  ]],
  ['misspelled top-level key', mutate(/^networks:/m, 'netwrks:'), [
    'f.yaml:7:1: networks: missing required field',
    'f.yaml:15:1: netwrks: unknown field "netwrks"; did you mean "networks"?',
  ]],
  ['wrong type', mutate('samples: 20\n      expect: { alternate', 'samples: many\n      expect: { alternate'), [
    'f.yaml:99:16: experiment.steps[0].samples: expected a number, got the text "many"',
  ]],
  ['overlapping subnets on one bridge and VLAN', mutate('bridge: br-ex\n    cidr: 10.255.253.0/24', 'bridge: br-int\n    vlan: 1\n    cidr: 10.0.0.0/16'), [
    'f.yaml:23:11: networks[1].cidr: 10.0.0.0/16 overlaps tenant1-net (10.0.0.0/24) on the same bridge and VLAN',
    'f.yaml:76:50: nodes[3].ports[1].address: 10.255.253.10 is outside ext-net (10.0.0.0/16)',
    'f.yaml:90:50: nodes[4].ports[0].address: 10.255.253.1 is outside ext-net (10.0.0.0/16)',
  ]],
];

for (const [name, text, expected] of cases) {
  t.test(name, async (t) => t.same(problems(text), expected));
}

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
