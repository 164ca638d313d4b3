// A lab of several Neutron hosts (scenarios/vxlan-hosts.yaml), resolved and planned without
// root: where each host's switch is, its tunnel endpoint and local VLANs, br-tun's flows as the
// OVS agent and l2pop write them, and the mistakes a file can make about hosts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FLAGSHIP, ROOT, labFromText, problemsOf } from '../helpers.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { brTunFlows, hostWires, l2popNotice, macLocations, tunnelOfport, tunnelPeers, tunnelPort } from '../../src/links/tunnels.js';
import { buildPlan } from '../../src/plan/plan.js';
import { l2popSyncOps, rescheduledNode } from '../../src/plan/hosts.js';
import { rescheduleAfterMs } from '../../src/steps/reschedule.js';
import { parseFirstAnswers } from '../../src/steps/pings.js';
import { hostRows } from '../../src/commands/status.js';
import { unicastPackets, unicastTunnel } from '../../src/steps/l2pop.js';
import { switchOf } from '../../src/model.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'vxlan-hosts.yaml')), { stateRoot: '/run/lablb' });
const host = (name: string) => lab.hosts!.list.find((h) => h.name === name)!;
const mac = (node: string) => lab.nodes.find((n) => n.name === node)!.ports[0].mac!;

t.test('each host: its own namespace, run dir, bridges and tunnel endpoint', async (t) => {
  t.equal(lab.hosts!.fabric, 'lablb-vxlan-hosts-fabric');
  t.same(
    lab.hosts!.list.map((h) => [h.name, h.switch.namespace, h.switch.rundir, h.localIp, h.switch.bridges.join(' ')]),
    [
      ['network1', 'lablb-vxlan-hosts-network1', '/run/lablb/vxlan-hosts/hosts/network1/ovs', '192.168.77.1', 'br-int br-tun br-phy br-ex'],
      ['compute1', 'lablb-vxlan-hosts-compute1', '/run/lablb/vxlan-hosts/hosts/compute1/ovs', '192.168.77.2', 'br-int br-tun br-phy'],
      ['compute2', 'lablb-vxlan-hosts-compute2', '/run/lablb/vxlan-hosts/hosts/compute2/ovs', '192.168.77.3', 'br-int br-tun br-phy'],
    ],
  );
  t.equal(switchOf(lab, 'vm2').namespace, 'lablb-vxlan-hosts-compute2', "a node's ports are on its host's switch");
  t.equal(lab.switch, host('network1').switch, 'the first host stands for the lab');
  t.same(host('compute1').localVlans, { private: 1 });
  t.equal(lab.nodes.find((n) => n.name === 'vm1')!.ports[0].vlan, 1, "a port's tag is its host's local VLAN");
  t.equal(tunnelPort(host('network1')), 'vxlan-c0a84d01', "a tunnel port is named after the far end's address in hex");
  t.same(hostWires(host('network1')), ['u-network1', 'x-network1'], "an external host's wires: the underlay and the physical network");
  t.same(hostWires(host('compute1')), ['u-compute1'], 'a compute host has only the underlay');
  t.ok(
    lab.hosts!.list.every((h) => brTunFlows(lab, h).every((f) => /^table=\d+,priority=\d+,/.test(f))),
    'a lab without DVR: no other flows',
  );
});

t.test("every port gets a MAC for l2pop, stable, in Neutron's range, unique", async (t) => {
  const macs = lab.nodes.flatMap((n) => n.ports.map((p) => p.mac!));
  for (const m of macs) t.match(m, /^fa:16:3e(:[0-9a-f]{2}){3}$/);
  t.equal(new Set(macs).size, macs.length);
  const again = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'vxlan-hosts.yaml')), { stateRoot: '/run/lablb' });
  t.same(
    again.nodes.map((n) => n.ports[0].mac),
    lab.nodes.map((n) => n.ports[0].mac),
  );
});

t.test("br-tun's flows: the agent's tables, a local VLAN per VNI, l2pop's unicast and flood entries", async (t) => {
  const c2 = brTunFlows(lab, host('compute2'));
  // compute2's peers, in the order of hosts: network1 (port 2), compute1 (port 3).
  t.same(
    tunnelPeers(lab, host('compute2')).map((h) => h.name),
    ['network1', 'compute1'],
  );
  t.ok(c2.includes('table=0,priority=1,in_port=1,actions=resubmit(,2)'), 'from br-int: table 2');
  t.ok(c2.includes('table=0,priority=1,in_port=2,actions=resubmit(,4)'), 'from a VXLAN port: table 4');
  t.ok(c2.includes('table=0,priority=0,actions=drop'));
  t.ok(c2.includes('table=2,priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,20)'), 'unicast to table 20');
  t.ok(c2.includes('table=2,priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,22)'), 'multicast to table 22');
  t.ok(c2.includes('table=4,priority=1,tun_id=1001,actions=mod_vlan_vid:1,resubmit(,10)'), 'VNI 1001 is local VLAN 1 here');
  t.match(c2.join('\n'), /table=10,priority=1,actions=learn\(table=20,hard_timeout=300,priority=1,.*\),output:1/);
  t.ok(c2.includes(`table=20,priority=2,dl_vlan=1,dl_dst=${mac('vm1')},actions=strip_vlan,set_field:1001->tun_id,output:3`), 'vm1 is on compute1');
  t.ok(c2.includes(`table=20,priority=2,dl_vlan=1,dl_dst=${mac('qrouter-1')},actions=strip_vlan,set_field:1001->tun_id,output:2`), 'qr-1 is on network1');
  t.notOk(
    c2.some((f) => f.includes(mac('vm2'))),
    "no entry for compute2's own port",
  );
  t.notOk(
    c2.some((f) => f.includes(mac('ext'))),
    'nor for a port on br-ex',
  );
  t.ok(c2.includes('table=20,priority=0,actions=resubmit(,22)'), 'an unknown MAC is flooded');
  t.ok(c2.includes('table=22,priority=1,dl_vlan=1,actions=strip_vlan,set_field:1001->tun_id,output:2,output:3'), 'to both peers on the network');
  t.ok(c2.includes('table=22,priority=0,actions=drop'));
  for (const table of [3, 4, 6]) t.ok(c2.includes(`table=${table},priority=0,actions=drop`));
  t.same(
    macLocations(lab, 'private').map((m) => m.host),
    ['network1', 'compute1', 'compute2'],
  );
});

t.test('l2pop floods only to hosts with ports on the network, and tunnels only to them', async (t) => {
  const three = labFromText(
    `name: t3
switch: { bridges: [br-int] }
hosts: [ { name: a, role: compute }, { name: b, role: compute }, { name: c, role: compute } ]
networks:
  - { name: red, bridge: br-int, vni: 10, cidr: 10.0.0.0/24 }
  - { name: blue, bridge: br-int, vni: 20, cidr: 10.1.0.0/24 }
nodes:
  - { name: r1, role: vm, host: a, ports: [ { name: eth0, network: red, address: 10.0.0.2, bridge_port: t-r1 } ] }
  - { name: b1, role: vm, host: a, ports: [ { name: eth0, network: blue, address: 10.1.0.2, bridge_port: t-b1 } ] }
  - { name: r2, role: vm, host: b, ports: [ { name: eth0, network: red, address: 10.0.0.3, bridge_port: t-r2 } ] }
  - { name: b3, role: vm, host: c, ports: [ { name: eth0, network: blue, address: 10.1.0.3, bridge_port: t-b3 } ] }
`,
  );
  const h = (n: string) => three.hosts!.list.find((x) => x.name === n)!;
  t.same(h('a').localVlans, { red: 1, blue: 2 }, 'numbered per host, in the order of networks');
  t.same(h('c').localVlans, { blue: 1 }, 'the same network, another local VLAN on another host');
  t.same(
    tunnelPeers(three, h('b')).map((x) => x.name),
    ['a'],
    'b shares nothing with c: no tunnel',
  );
  const a = brTunFlows(three, h('a'));
  t.ok(
    a.includes('table=22,priority=1,dl_vlan=1,actions=strip_vlan,set_field:10->tun_id,output:3'),
    'red to b only: its tunnel port is numbered by its place among all hosts',
  );
  t.ok(a.includes('table=22,priority=1,dl_vlan=2,actions=strip_vlan,set_field:20->tun_id,output:4'), 'blue to c only');
  const c = brTunFlows(three, h('c'));
  t.ok(c.includes('table=4,priority=1,tun_id=20,actions=mod_vlan_vid:1,resubmit(,10)'));
  t.notOk(
    c.some((f) => f.includes('tun_id=10')),
    'c has no port on red',
  );
});

t.test('the plan: a switch per host, the fabric, br-tun with its ports and flows', async (t) => {
  const plan = buildPlan(lab, { datapath: 'netdev' });
  const ids = plan.tasks.map((x) => x.id);
  for (const h of ['network1', 'compute1', 'compute2'])
    for (const id of ['ovsdb', 'switch', 'veths', 'offload', 'bridges-db', 'bridges', 'tunnels']) t.ok(ids.includes(`${id}:${h}`), `${id}:${h}`);
  t.ok(ids.includes('fabric'));
  t.notOk(ids.includes('bridges'), 'no lab-wide switch');
  const task = (id: string) => plan.tasks.find((x) => x.id === id)!;
  t.same(task('move:qr-1:network1').after, ['bridges:network1']);
  t.same(task('node:vm2').after, ['veths:compute2']);
  t.ok(task('service:vm1/web').after.includes('tunnels:compute1'), "a VM's service starts once its host's tunnels are up");
  const daemon = task('switch:compute1').ops[0] as { env: Record<string, string>; argv: string[] };
  t.equal(daemon.env.OVS_RUNDIR, '/run/lablb/vxlan-hosts/hosts/compute1/ovs', "each vswitchd keeps its bridges' sockets in its own dir");
  t.same(daemon.argv.slice(0, 4), ['ip', 'netns', 'exec', 'lablb-vxlan-hosts-compute1']);
  const vsctl = (task('bridges-db:compute1').ops[0] as { argv: string[] }).argv.join(' ');
  t.match(
    vsctl,
    /add-port br-tun vxlan-c0a84d01 -- set interface vxlan-c0a84d01 type=vxlan options:remote_ip=192\.168\.77\.1 options:local_ip=192\.168\.77\.2 options:in_key=flow options:out_key=flow ofport_request=2/,
  );
  t.match(vsctl, /add-port br-int patch-tun -- set interface patch-tun type=patch options:peer=patch-int/);
  t.match(vsctl, /set bridge br-tun fail_mode=secure/);
  t.match(vsctl, /add-port br-phy eth1/);
  t.notMatch(vsctl, /br-ex/, 'a compute host has no br-ex');
  t.match((task('bridges-db:network1').ops[0] as { argv: string[] }).argv.join(' '), /add-port br-ex eth2/);
  const fabric = (task('fabric').ops[0] as { input: string }).input;
  t.match(fabric, /link add u-compute2 type veth peer name eth1 netns lablb-vxlan-hosts-compute2\nlink set u-compute2 master underlay/);
  t.match(fabric, /link add x-network1 type veth peer name eth2 netns lablb-vxlan-hosts-network1\nlink set x-network1 master physnet/);
  t.notMatch(fabric, /x-compute/, 'only external hosts are on the physical network');
  const tunnels = task('tunnels:compute2').ops;
  t.match((tunnels[0] as { input: string }).input, /^addr add 192\.168\.77\.3\/24 dev br-phy\n/);
  t.same((tunnels[3] as { argv: string[] }).argv, [
    'ovs-ofctl',
    '-O',
    'OpenFlow13',
    'replace-flows',
    'unix:/run/lablb/vxlan-hosts/hosts/compute2/ovs/br-tun.mgmt',
    '/run/lablb/vxlan-hosts/hosts/compute2/ovs/br-tun.flows',
  ]);
  // Each host's OVS is told its peers' underlay MACs (br-phy's, fixed), after its own tunnels
  // and its ports' moves out (OVS forgets them on a route change).
  t.match(vsctl, /set bridge br-phy other-config:hwaddr=02:00:00(:[0-9a-f]{2}){3}/);
  const underlay = task('underlay:compute2');
  t.same(underlay.after, ['tunnels:compute2'], 'compute2 has no internal port to wait for');
  t.same(task('underlay:network1').after, ['tunnels:network1', 'move:qr-1:network1', 'move:qg-1:network1']);
  t.same(
    underlay.ops.map((op) => (op.kind === 'run' ? [...op.argv, op.env?.OVS_RUNDIR] : [])),
    [host('network1'), host('compute1')].map((p) => [
      'ovs-appctl',
      'tnl/neigh/set',
      'br-phy',
      p.localIp,
      p.underlayMac,
      '/run/lablb/vxlan-hosts/hosts/compute2/ovs',
    ]),
  );
  t.not(host('network1').underlayMac, host('compute1').underlayMac);
});

t.test('status: a lab of hosts, host by host', async (t) => {
  t.same(hostRows(lab, 'compute2'), [
    {
      host: 'compute2',
      role: 'compute',
      localIp: '192.168.77.3',
      namespace: 'lablb-vxlan-hosts-compute2',
      bridges: ['br-int', 'br-tun', 'br-phy'],
      nodes: ['vm2'],
      tunnels: [
        { port: 'vxlan-c0a84d01', to: 'network1' },
        { port: 'vxlan-c0a84d02', to: 'compute1' },
      ],
      localVlans: { private: 1 },
    },
  ]);
  t.equal(hostRows(lab).length, 3);
});

t.test("l2pop's entry counted, read from ovs-ofctl --names dump-flows", async (t) => {
  const dump = [
    ' cookie=0x0, duration=1.1s, table=20, n_packets=7, n_bytes=74, priority=2,dl_vlan=1,dl_dst=fa:16:3e:70:81:ef actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID[],output:"vxlan-c0a84d02"',
    ' cookie=0x0, duration=0.7s, table=20, n_packets=9, n_bytes=0, hard_timeout=300, priority=1,vlan_tci=0x0001/0x0fff,dl_dst=fa:16:3e:11:11:11 actions=load:0->NXM_OF_VLAN_TCI[],output:vxlan-c0a84d02',
  ].join('\n');
  t.equal(unicastPackets(dump, 'fa:16:3e:70:81:ef', 'vxlan-c0a84d02'), 7);
  t.equal(unicastPackets(dump, 'fa:16:3e:70:81:ef', 'vxlan-c0a84d0'), undefined, 'to another tunnel: not it');
  t.equal(unicastPackets(dump, 'fa:16:3e:11:11:11', 'vxlan-c0a84d02'), undefined, 'a learned entry is not l2pop');
  t.equal(unicastPackets(dump.replace('"vxlan-c0a84d02"', 'vxlan-c0a84d02'), 'fa:16:3e:70:81:ef', 'vxlan-c0a84d02'), 7, 'unquoted too');
});

t.test('mistakes about hosts, each told where it is', async (t) => {
  const base = (extra: string) => `name: hx
switch: { bridges: [br-int, br-ex] }
hosts: [ { name: net1, role: network, external: true }, { name: comp1, role: compute } ]
networks:
  - { name: priv, bridge: br-int, vni: 5, cidr: 10.0.0.0/24 }
  - { name: pub, bridge: br-ex, cidr: 172.24.4.0/24 }
nodes:
${extra}`;
  const vm = (host: string, network = 'priv', address = '10.0.0.2') =>
    `  - { name: vm, role: vm, host: ${host}, ports: [ { name: eth0, network: ${network}, address: ${address}, bridge_port: t-vm } ] }\n`;
  t.same(problemsOf(base(vm('comp1'))), []);
  t.same(problemsOf(base(vm('comp2'))), ['nodes[0].host: no host named "comp2"; did you mean "comp1"?']);
  t.same(problemsOf(base(vm('comp1', 'pub', '172.24.4.5'))), ['nodes[0].ports[0].network: pub is on br-ex, and host comp1 has none (external: false)']);
  t.same(problemsOf(base(vm('net1', 'pub', '172.24.4.5'))), []);
  t.same(problemsOf(base('  - { name: vm, role: vm, ports: [] }\n')), ['nodes[0]: vm needs host: the host it runs on (net1, comp1)']);
  t.same(problemsOf(base(vm('comp1')).replace('vni: 5, ', '')), ['networks[0]: priv is on br-int in a lab of hosts: give it vni (its VXLAN segmentation id)']);
  t.same(problemsOf(base(vm('comp1')).replace('vni: 5, ', 'vni: 5, vlan: 3, ')), [
    'networks[0].vlan: each host gives a tunnelled network its own local VLAN on br-int; drop vlan',
  ]);
  t.same(problemsOf(base(vm('comp1')).replace('bridge: br-ex, ', 'bridge: br-ex, vni: 6, ')), [
    'networks[1].vni: pub is on br-ex, the physical network between hosts, not tunnelled; drop vni',
  ]);
  t.same(problemsOf(base(vm('comp1')).replace('[br-int, br-ex]', '[br-int, br-ex, br-tun]')), [
    'switch.bridges[2]: br-tun is made on every host by lablb; drop it from the list',
  ]);
  t.same(problemsOf(base(vm('comp1')).replace('name: comp1, role', 'name: net1, role')), [
    'hosts[1].name: host net1 is defined twice',
    'nodes[0].host: no host named "comp1"; known: net1',
  ]);
  t.same(problemsOf(base(vm('comp1')).replace('switch: { bridges: [br-int, br-ex] }', 'switch: { bridges: [br-int, br-ex], underlay: 10.9.9.0/31 }')), [
    'switch.underlay: 10.9.9.0/31 has too few addresses for 2 hosts',
  ]);
  t.same(problemsOf(base(vm('comp1').replace('bridge_port: t-vm', 'bridge_port: t-vm, mac: "fa:16:3e:00:00:01", security_groups: []'))), [
    'nodes[0].ports[0]: port security in a lab of hosts is not built yet',
  ]);
  t.same(problemsOf(base(vm('comp1')).replace('name: vm,', 'name: lablb-hx-comp1,')), ["nodes[0].name: lablb-hx-comp1 is reserved for a host's switch"]);
  t.same(problemsOf(base(vm('comp1')).replace('{ name: net1,', '{ name: fabric,').replace(/net1/g, 'fabric')), [
    'hosts[0].name: fabric is the name of the wires between hosts (namespace lablb-<lab>-fabric); choose another',
  ]);
});

t.test('host fields in a lab of one switch are refused where they are', async (t) => {
  t.same(
    problemsOf(`name: one
switch: { bridges: [br-int], underlay: 10.0.9.0/24 }
networks: [ { name: n, bridge: br-int, vni: 4, cidr: 10.0.0.0/24 } ]
nodes: [ { name: vm, role: vm, host: h1, ports: [ { name: eth0, network: n, address: 10.0.0.2, bridge_port: t-vm } ] } ]
`),
    [
      'switch.underlay: underlay joins hosts, which this file does not declare (hosts:)',
      'networks[0].vni: vni is for tunnelled networks between hosts, which this file does not declare (hosts:)',
      'nodes[0].host: host places a node on one of hosts:, which this file does not declare',
    ],
  );
});

const ha = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha-l2pop.yaml')), { stateRoot: '/run/lablb' });
const haStale = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha-l2pop.yaml'), new Map([['l2pop_ha_notice', false]])), { stateRoot: '/run/lablb' });

t.test("an HA router's new MASTER tells l2pop: every other host with the network sends its MAC here", async (t) => {
  t.equal(ha.hosts!.haNotice, true);
  const hooks = l2popNotice(ha, 'qrouter-n2');
  // qr-n2 is on private (network1, compute1 have it); qg-n2 is on br-ex, no l2pop; ha-n2 is not VRRP's.
  t.same(
    hooks.map((argv) => argv.slice(0, 5).join(' ')),
    [
      'ovs-ofctl -O OpenFlow13 add-flow unix:/run/lablb/l3-ha-l2pop/hosts/network1/ovs/br-tun.mgmt',
      'ovs-ofctl -O OpenFlow13 add-flow unix:/run/lablb/l3-ha-l2pop/hosts/compute1/ovs/br-tun.mgmt',
    ],
  );
  const compute1 = ha.hosts!.list.find((h) => h.name === 'compute1')!;
  const network2 = ha.hosts!.list.find((h) => h.name === 'network2')!;
  t.equal(hooks[1][5], `table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:01:01,actions=strip_vlan,set_field:1001->tun_id,output:${tunnelOfport(ha, network2)}`);
  t.same(
    tunnelPeers(ha, compute1).map((h) => h.name),
    ['network1', 'network2'],
    'compute1 tunnels to both network nodes, not to the controller',
  );
  t.same(l2popNotice(ha, 'vm1'), [], 'a VM tells nothing');
  t.same(l2popNotice(haStale, 'qrouter-n2'), [], 'l2pop_ha_notice: false, nothing is told');
  // The hooks are in keepalived's notify script, on MASTER only.
  const plan = buildPlan(ha, { datapath: 'netdev' });
  const script = plan.tasks
    .find((x) => x.id === 'service:qrouter-n2/vrrp')!
    .ops.find((o): o is Extract<typeof o, { kind: 'write' }> => o.kind === 'write' && o.path.endsWith('notify.sh'))?.content;
  t.match(
    script,
    /  MASTER\)\n(    .*\n)*    ovs-ofctl -O OpenFlow13 add-flow unix:\/run\/lablb\/l3-ha-l2pop\/hosts\/compute1\/ovs\/br-tun\.mgmt 'table=20,priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:01:01,actions=strip_vlan,set_field:1001->tun_id,output:4'\n/,
  );
  t.match(script, /  BACKUP\|FAULT\)\n    ;;/, 'nothing on BACKUP: the new MASTER tells');
});

t.test('l2pop believes one place per MAC: the HA port is first on network1', async (t) => {
  t.same(
    macLocations(ha, 'private').filter((m) => m.mac === 'fa:16:3e:00:01:01'),
    [{ mac: 'fa:16:3e:00:01:01', host: 'network1', port: 'qrouter-n1/qr-n1' }],
  );
  t.equal(
    unicastTunnel('table=20, n_packets=3, priority=2,dl_vlan=1,dl_dst=fa:16:3e:00:01:01 actions=strip_vlan,output:"vxlan-c0a84d02"', 'fa:16:3e:00:01:01'),
    'vxlan-c0a84d02',
  );
  t.equal(
    unicastTunnel('table=20, priority=1,dl_dst=fa:16:3e:00:01:01 actions=output:vxlan-c0a84d03', 'fa:16:3e:00:01:01'),
    undefined,
    'a learned entry is not l2pop',
  );
});

t.test('agent-down host: and l2pop-entry: their mistakes', async (t) => {
  const withSteps = (steps: string) =>
    problemsOf(
      readFileSync(join(ROOT, 'scenarios', 'l3-ha-l2pop.yaml'), 'utf8')
        .replace(/\n {2}steps:\n[\s\S]*$/, `\n  steps:\n${steps}`)
        .replace('"${l2pop_ha_notice}"', 'true')
        .replace('"${advert_int}"', '2'),
    );
  t.same(withSteps('    - { name: a, kind: agent-down, host: network9 }\n'), ['experiment.steps[0].host: no host named "network9"; did you mean "network1"?']);
  t.same(withSteps('    - { name: a, kind: agent-down, host: network1, nodes: "q*" }\n'), ['experiment.steps[0].nodes: say nodes or host, not both']);
  t.same(withSteps('    - { name: a, kind: agent-down }\n'), [
    'experiment.steps[0]: say which nodes die (nodes: "qrouter-*-n1") or, in a lab of hosts, which host',
  ]);
  t.same(withSteps('    - { name: a, kind: agent-down, host: network1, probe: nope }\n'), ['experiment.steps[0].probe: no probe named "nope"; known: http']);
  t.same(withSteps('    - { name: e, kind: l2pop-entry, host: compute1, port: qrouter-n1/qr-n1, points_to: compute1 }\n'), [
    "experiment.steps[0].points_to: compute1's own ports have no l2pop entry there",
  ]);
  t.same(withSteps('    - { name: e, kind: l2pop-entry, host: compute1, port: qrouter-n1/qr-9, points_to: network2 }\n').length, 1, 'an unknown port');
  t.same(problemsOf(readFileSync(FLAGSHIP, 'utf8').replace(/\n {2}steps:\n[\s\S]*$/, '\n  steps:\n    - { name: a, kind: agent-down, host: network1 }\n')), [
    'experiment.steps[0].host: host is for a lab of hosts; this one has none (say nodes)',
  ]);
});

const dies = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'network-node-dies.yaml')), { stateRoot: '/run/lablb' });

t.test("the scheduler's timing: a check every agent_down_time / 2, dead after twice agent_down_time", async (t) => {
  t.equal(rescheduleAfterMs(75), 185_000, "Neutron's defaults: checks every 37 s, the first after 150 s is the fifth");
  t.equal(rescheduleAfterMs(10), 25_000, 'at 20 s the heartbeat is not yet older than 20 s: the next check');
  t.equal(rescheduleAfterMs(5), 12_000, 'an interval of 2 s: the sixth check');
  t.equal(rescheduleAfterMs(1), 3_000, 'the interval is at least 1 s');
});

t.test('a legacy router rescheduled: the same ports and services, on the new host, in its own namespace', async (t) => {
  const lab = structuredClone(dies);
  const network2 = lab.hosts!.list.find((h) => h.name === 'network2')!;
  const before = { ...network2.localVlans };
  const old = lab.nodes.find((n) => n.name === 'qrouter-l2')!;
  const moved = rescheduledNode(lab, old, network2);
  t.equal(moved.name, 'qrouter-l2.network2');
  t.equal(moved.host, 'network2');
  t.equal(moved.dir, '/run/lablb/network-node-dies/nodes/qrouter-l2.network2');
  t.same(
    moved.ports.map((p) => [p.node, p.name, p.address, p.mac]),
    old.ports.map((p) => [moved.name, p.name, p.address, p.mac]),
    'its ports keep their names, addresses and MACs',
  );
  t.same(
    moved.services.map((s) => [s.node, s.token, s.pidfile]),
    [['qrouter-l2.network2', 'network-node-dies/qrouter-l2.network2/l3', '/run/lablb/network-node-dies/nodes/qrouter-l2.network2/l3.pid']],
  );
  t.same(moved.services[0].spec, old.services[0].spec, 'the same NAT');
  const vlan = Math.max(...Object.values(before)) + 1;
  t.same(network2.localVlans, { ...before, 'lnet-2': vlan }, 'network2 gives lnet-2 its next local VLAN');
  t.equal(moved.ports.find((p) => p.name === 'qr-l2')!.vlan, vlan);
  t.equal(moved.ports.find((p) => p.name === 'qg-l2')!.vlan, undefined, 'the gateway port is on br-ex: no local VLAN');
  const again = rescheduledNode(
    lab,
    lab.nodes.find((n) => n.name === 'qrouter-l3')!,
    network2,
  );
  t.equal(again.ports[0].vlan, vlan + 1);
});

t.test('l2pop after a router moved: tunnels where needed, entries at the live host, the dead host left alone', async (t) => {
  const lab = structuredClone(dies);
  const network2 = lab.hosts!.list.find((h) => h.name === 'network2')!;
  const old = lab.nodes.find((n) => n.name === 'qrouter-l1')!;
  const moved = rescheduledNode(lab, old, network2);
  lab.nodes = [...lab.nodes.filter((n) => n !== old), moved];
  const down = new Set(['network1']);
  const ops = l2popSyncOps(lab, down);
  const flowsOf = (host: string) => (ops.find((o) => o.kind === 'write' && o.path.includes(`/hosts/${host}/`)) as { content: string }).content;
  t.notOk(
    ops.some((o) => JSON.stringify(o).includes('/hosts/network1/')),
    'nothing on the dead host',
  );
  const qr = moved.ports.find((p) => p.name === 'qr-l1')!;
  t.match(flowsOf('compute1'), `table=20,priority=2,dl_vlan=1,dl_dst=${qr.mac},actions=strip_vlan,set_field:1->tun_id,output:${tunnelOfport(lab, network2)}`);
  t.match(
    flowsOf('network2'),
    `table=4,priority=1,tun_id=1,actions=mod_vlan_vid:${network2.localVlans['lnet-1']},resubmit(,9)`,
    'network2 takes VNI 1 in (through table 9: the lab has DVR routers)',
  );
  // An HA router's port on both network nodes: l2pop believes the live one.
  const ha = lab.nodes.find((n) => n.name === 'qrouter-h1-n1')!.ports.find((p) => p.name === 'qr-h1-1')!;
  t.match(flowsOf('compute1'), `dl_dst=${ha.mac},actions=strip_vlan,set_field:1001->tun_id,output:${tunnelOfport(lab, network2)}`);
  t.same(macLocations(lab, 'hnet-1').find((m) => m.mac === ha.mac)?.host, 'network1', 'with nobody dead, the first');
  t.same(macLocations(lab, 'hnet-1', down).find((m) => m.mac === ha.mac)?.host, 'network2');
  const vsctl = ops.find((o) => o.kind === 'run' && o.argv.includes('add-port')) as { argv: string[] };
  t.match(
    vsctl.argv.join(' '),
    /--may-exist add-port br-tun vxlan-c0a84d04 .* ofport_request=5/,
    'a tunnel port is asked for where it may be missing, at its fixed number',
  );
});

t.test("ping's own timestamps: each address's first answer", async (t) => {
  const out = [
    'PING 172.24.2.2 (172.24.2.2) 56(84) bytes of data.',
    '[1764849600.250000] 64 bytes from 172.24.2.2: icmp_seq=7 ttl=63 time=0.4 ms',
    '[1764849601.500100] 64 bytes from 172.24.2.3: icmp_seq=13 ttl=63 time=0.5 ms',
    '[1764849601.700000] 64 bytes from 172.24.2.2: icmp_seq=8 ttl=63 time=0.4 ms',
  ].join('\n');
  t.same(
    [...parseFirstAnswers(out)],
    [
      ['172.24.2.2', 1764849600250],
      ['172.24.2.3', 1764849601500],
    ],
  );
  t.same(parseFirstAnswers('From 172.24.0.1 icmp_seq=1 Destination Host Unreachable').size, 0);
});

t.test('reschedule: its mistakes', async (t) => {
  const text = readFileSync(join(ROOT, 'scenarios', 'network-node-dies.yaml'), 'utf8');
  const withSteps = (steps: string) => problemsOf(text.replace(/\n {2}steps:\n[\s\S]*$/, `\n  steps:\n${steps}`));
  t.same(withSteps('    - { name: r, kind: reschedule, host: network1, to: network2, from: ext }\n'), []);
  t.same(withSteps('    - { name: r, kind: reschedule, host: network1, to: network1, from: ext }\n'), [
    'experiment.steps[0].to: the routers move to another host',
  ]);
  // In vxlan-hosts compute1 has no br-ex (network-node-dies gives it one, for DVR).
  const vxlan = readFileSync(join(ROOT, 'scenarios', 'vxlan-hosts.yaml'), 'utf8');
  t.same(problemsOf(vxlan.replace(/\n {2}steps:\n[\s\S]*$/, '\n  steps:\n    - { name: r, kind: reschedule, host: network1, to: compute1, from: ext }\n')), [
    "experiment.steps[0].to: compute1 has no br-ex (external: false): a router's gateway port needs one",
  ]);
  t.same(withSteps('    - { name: r, kind: reschedule, host: network2, to: network1, from: ext }\n'), [
    'experiment.steps[0].host: network2 has no legacy router (one with l3 and no keepalived) to move',
  ]);
  t.same(withSteps('    - { name: r, kind: reschedule, host: network1, to: network3, from: ext }\n'), [
    'experiment.steps[0].to: no host named "network3"; did you mean "network1"?',
  ]);
});

t.test("add-node in a lab of hosts: placed like the file's nodes, given a MAC; remove-node and l2pop", async (t) => {
  const text = readFileSync(join(ROOT, 'scenarios', 'vxlan-hosts.yaml'), 'utf8');
  const withSteps = (steps: string) => text.replace(/\n {2}steps:\n[\s\S]*$/, `\n  steps:\n${steps}`);
  const add = (extra: string) =>
    `    - name: a\n      kind: add-node\n      node: { name: vm3, role: vm, ${extra}ports: [{ name: eth0, network: private, address: 10.0.0.13, bridge_port: tap-vm3 }] }\n`;
  t.same(problemsOf(withSteps(add(''))), ['experiment.steps[0].node: vm3 needs host: the host it runs on (network1, compute1, compute2)']);
  t.same(problemsOf(withSteps(add('host: compute9, '))), ['experiment.steps[0].node.host: no host named "compute9"; did you mean "compute1"?']);
  const lab = labFromText(withSteps(add('host: compute2, ')));
  const step = lab.experiment!.steps[0] as { spec: { action: { ports: { mac?: string }[]; host?: string } } };
  t.equal(step.spec.action.host, 'compute2');
  t.match(step.spec.action.ports[0].mac, /^fa:16:3e(:[0-9a-f]{2}){3}$/, 'a MAC for l2pop');
  t.notOk(
    lab.nodes.flatMap((n) => n.ports).some((p) => p.mac === step.spec.action.ports[0].mac),
    'not one the lab has',
  );
});

t.test("status's lines stay lines in a lab of a thousand routers", async (t) => {
  const { listed } = await import('../../src/commands/status.js');
  t.equal(listed([]), '(none)');
  const few = Array.from({ length: 12 }, (_, i) => `ns-${i}`);
  t.equal(listed(few), few.join(' '), 'twelve: every one');
  const many = ['lablb-scale-routers', 'ext', ...Array.from({ length: 1000 }, (_, i) => [`vm-${i + 1}`, `qrouter-${i + 1}`]).flat()];
  t.equal(
    listed(many),
    '2002: lablb-scale-routers ext vm-1 qrouter-1 vm-2 qrouter-2 vm-3 qrouter-3 vm-4 qrouter-4 ... vm-1000 qrouter-1000 (--json lists every one)',
  );
});
