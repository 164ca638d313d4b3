// DVR (scenarios/dvr.yaml), resolved and planned without root: each host's DVR MAC, a DVR
// router's one port on every host, br-tun's DVR tables as the OVS agent writes them, the L3
// agent's work in the router and fip namespaces, and the mistakes a file can make.
import { join } from 'node:path';
import t from 'tap';
import { ROOT, labFromText, problemsOf } from '../helpers.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { brTunFlows, macLocations } from '../../src/links/tunnels.js';
import { buildPlan } from '../../src/plan/plan.js';
import { arpEntries, dvrLink, dvrOps, dvrRouterId, fgPort, snatPortFor, snatTable } from '../../src/services/l3-agent/dvr.js';
import { renderRouterRules } from '../../src/services/l3-agent/rules.js';
import { natRows } from '../../src/services/l3-agent/observe.js';
import { l3Agent, type L3Spec } from '../../src/services/l3-agent/l3-agent.js';
import type { LabService } from '../../src/model.js';
import { cellText } from '../../src/kinds/service-kind.js';
import { emptyFacts } from '../../src/kinds/facts.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'dvr.yaml')), { stateRoot: '/run/lablb' });
const host = (name: string) => lab.hosts!.list.find((h) => h.name === name)!;
const node = (name: string) => lab.nodes.find((n) => n.name === name)!;
const port = (n: string, p: string) => node(n).ports.find((x) => x.name === p)!;
const router = (name: string) => node(name).services.find((s) => s.kind === 'l3-agent') as LabService<L3Spec>;
const runLines = (ops: ReturnType<typeof dvrOps>) =>
  ops.flatMap((op) => (op.kind === 'run' ? [...(op.input ? op.input.split('\n') : []), op.argv.join(' ')] : []));

t.test("every host of a DVR lab has a DVR MAC of Neutron's base, its own", async (t) => {
  const macs = lab.hosts!.list.map((h) => h.dvrMac!);
  for (const m of macs) t.match(m, /^fa:16:3f(:[0-9a-f]{2}){3}$/);
  t.equal(new Set(macs).size, macs.length);
  const vxlan = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'vxlan-hosts.yaml')), { stateRoot: '/run/lablb' });
  t.ok(
    vxlan.hosts!.list.every((h) => h.dvrMac === undefined),
    'a lab without DVR routers has none',
  );
});

t.test("a DVR router's interface is one port on every host: one address, one MAC", async (t) => {
  const a1 = port('qrouter-r1.compute1', 'qr-a');
  const a2 = port('qrouter-r1.compute2', 'qr-a');
  t.equal(a1.distributed, true);
  t.equal(a1.address, a2.address);
  t.equal(a1.mac, a2.mac, 'the MAC lablb gives is the same on both');
  t.not(port('qrouter-r1.compute1', 'qr-b').mac, a1.mac, 'each interface its own');
  t.notOk(
    macLocations(lab, 'net-a').some((m) => m.mac === a1.mac),
    'l2pop tells no host where it is: it is on every host',
  );
  t.ok(
    macLocations(lab, 'net-a').some((m) => m.mac === port('vm-a', 'eth0').mac && m.host === 'compute1'),
    "a VM's MAC still is",
  );
});

t.test("br-tun's DVR tables: the router's frames under the host's DVR MAC, its ARP kept home", async (t) => {
  const c1 = host('compute1');
  const flows = brTunFlows(lab, c1);
  const vlanA = c1.localVlans['net-a'];
  const qrA = port('qrouter-r1.compute1', 'qr-a');
  t.ok(flows.includes('table=0,priority=1,in_port=1,actions=resubmit(,1)'), 'from br-int: table 1 (DVR_PROCESS) first');
  t.notOk(flows.includes('table=0,priority=1,in_port=1,actions=resubmit(,2)'));
  t.ok(flows.includes('table=1,priority=0,actions=resubmit(,2)'), 'then on to table 2');
  t.ok(
    flows.includes(`table=1,priority=1,dl_vlan=${vlanA},dl_src=${qrA.mac},actions=mod_dl_src:${c1.dvrMac},resubmit(,2)`),
    'the interface leaves as the host',
  );
  t.ok(flows.includes(`table=1,priority=2,dl_vlan=${vlanA},dl_dst=${qrA.mac},actions=drop`), 'a frame for the interface never leaves');
  t.ok(flows.includes(`table=22,priority=3,dl_vlan=${vlanA},arp,arp_tpa=10.0.1.1,actions=drop`), 'nor the ARP for its address');
  t.ok(flows.includes(`table=4,priority=1,tun_id=101,actions=mod_vlan_vid:${vlanA},resubmit(,9)`), 'from a tunnel: table 9 (DVR_NOT_LEARN) first');
  t.ok(flows.includes('table=9,priority=0,actions=resubmit(,10)'), 'then learned as before');
  for (const other of lab.hosts!.list.filter((h) => h !== c1))
    t.ok(flows.includes(`table=9,priority=1,dl_src=${other.dvrMac},actions=output:1`), `${other.name}'s DVR MAC straight to br-int, never learned`);
  t.notOk(
    flows.some((f) => f.includes(`dl_src=${c1.dvrMac},actions=output`)),
    'its own is not among them',
  );
  const n1 = brTunFlows(lab, host('network1'));
  t.ok(n1.includes('table=0,priority=1,in_port=1,actions=resubmit(,1)'), 'every host of the lab runs the DVR tables');
  t.notOk(
    n1.some((f) => f.includes('mod_dl_src')),
    'a host without the router rewrites nothing',
  );
});

t.test("the router's link to its fip namespace: a /31 from 169.254.64.0/18, stable MACs", async (t) => {
  const link = dvrLink(lab, router('qrouter-r1.compute1'));
  t.same([link.rfp.name, link.rfp.address, link.fpr.name, link.fpr.address], ['rfp-r1', '169.254.64.0', 'fpr-r1', '169.254.64.1']);
  t.match(link.rfp.mac, /^fa:16:3e/);
  t.not(link.rfp.mac, link.fpr.mac);
  t.equal(dvrRouterId('qrouter-r1.compute1'), 'r1');
  t.equal(dvrRouterId('edge'), 'edge');
  t.equal(dvrRouterId('xqrouter-1'), 'xqrouter-1', 'only a leading qrouter- goes');
  t.equal(snatTable('10.0.1.1'), 167772417, "the interface's address as a number names its table");
});

t.test('what the L3 agent does for a DVR router, in its namespace and the fip namespace', async (t) => {
  const ops = dvrOps(lab, router('qrouter-r1.compute1'));
  t.same(
    ops.map((op) => (op.kind === 'run' ? op.argv.slice(0, 3).join(' ') : op.kind)),
    ['ip -n qrouter-r1.compute1', 'ip -n fip-public.compute1', 'nsenter --net=/run/netns/fip-public.compute1 sysctl'],
  );
  const lines = runLines(ops);
  for (const line of [
    'route replace default via 10.0.1.2 dev qr-a table 167772417',
    'rule add from 10.0.1.0/24 table 167772417 priority 167772417',
    'rule add from 10.0.2.0/24 table 167772673 priority 167772673',
    `neigh replace 10.0.1.3 lladdr ${port('vm-a', 'eth0').mac} dev qr-a nud permanent`,
    'neigh replace 10.0.1.2 lladdr fa:16:3e:20:00:0a dev qr-a nud permanent',
    'addr add 169.254.64.0/31 dev rfp-r1',
    'route replace default via 169.254.64.1 dev rfp-r1 table 16',
    'rule add from 10.0.1.3/32 table 16 priority 32768',
    'addr add 169.254.64.1/31 dev fpr-r1',
    'route replace 172.24.4.3/32 via 169.254.64.0 dev fpr-r1',
    'nsenter --net=/run/netns/fip-public.compute1 sysctl -q -w net/ipv4/conf/fg-c1/proxy_arp=1 net/ipv4/neigh/fg-c1/proxy_delay=1',
  ])
    t.ok(lines.includes(line), line);
  t.ok(lines.some((l) => /^link add rfp-r1 address \S+ type veth peer name fpr-r1 address \S+ netns fip-public\.compute1$/.test(l)));
  t.notOk(
    lines.some((l) => l.startsWith('addr add 172.24.4.3')),
    'the floating IP is on no device: the fip namespace answers for it',
  );
  const entries = arpEntries(lab, node('qrouter-r1.compute2'));
  t.notOk(
    entries.some((e) => e.address === '10.0.1.1' || e.address === '10.0.2.1'),
    "no entry for the router's own interfaces",
  );
  t.equal(entries.filter((e) => e.address === '10.0.1.2').length, 1, 'the snat port once, though two nodes hold it (HA)');
  t.same(
    entries.map((e) => `${e.device} ${e.address}`),
    ['qr-a 10.0.1.3', 'qr-a 10.0.1.4', 'qr-a 10.0.1.2', 'qr-b 10.0.2.3', 'qr-b 10.0.2.2'],
    "every VM's and the snat port's, on its subnet's interface",
  );
  t.equal(snatPortFor(lab.nodes, 'no-such-node', port('qrouter-r1.compute1', 'qr-a')), undefined);
  t.equal(fgPort(lab.nodes, 'no-such-node', '172.24.4.3'), undefined);
  t.throws(() => dvrOps({ ...lab, nodes: [] }, router('qrouter-r1.compute1')), /qrouter-r1\.compute1 is not in lab dvr/);
  const rules = renderRouterRules(router('qrouter-r1.compute1').spec);
  t.match(rules, '-A neutron-l3-agent-PREROUTING -d 172.24.4.3/32 -j DNAT --to-destination 10.0.1.3');
  t.match(rules, '! -i rfp-r1 ! -o rfp-r1');
  t.notMatch(rules, '-A neutron-l3-agent-snat -s', 'no default SNAT: the snat namespace does it');
  t.equal(
    natRows(router('qrouter-r1.compute1'), emptyFacts())[0].map(cellText).join(''),
    'qrouter-r1.compute1 DVR, floating IPs by rfp-r1 to fip-public.compute1',
  );
  t.same(l3Agent.sysctls!(router('qrouter-r1.compute1').spec), [
    ['net/ipv4/conf/qr-a/send_redirects', '0'],
    ['net/ipv4/conf/qr-b/send_redirects', '0'],
  ]);
  t.throws(() => l3Agent.start(router('qrouter-r1.compute1'), { vrrpHooks: { master: [], backup: [] } }), /started with its lab/);
});

t.test('two DVR routers on one host: their own /31s and rule priorities', async (t) => {
  const two = labFromText(
    dvrFile(`
  - name: qrouter-r2.c1
    role: router
    host: c1
    ports: [ { name: qr-r2, network: n2, address: 10.0.2.1, type: internal, distributed: true } ]
    l3:
      dvr: { fip_namespace: fip.c1 }
      floating_ips: [ { floating_ip_address: 172.24.4.20, fixed_ip_address: 10.0.2.5 } ]
`),
  );
  const r2 = two.nodes.find((n) => n.name === 'qrouter-r2.c1')!.services[0] as LabService<L3Spec>;
  t.same([dvrLink(two, r2).rfp.address, dvrLink(two, r2).fpr.address], ['169.254.64.2', '169.254.64.3']);
  t.ok(runLines(dvrOps(two, r2)).includes('rule add from 10.0.2.5/32 table 16 priority 32769'));
  t.notOk(
    runLines(dvrOps(two, r2)).some((l) => l.includes('table 16777') || l.startsWith('route replace default via 10.0.')),
    'no snat namespace: no redirect',
  );
});

t.test('a DVR router with a fip namespace and no floating IP: no link to it yet', async (t) => {
  const none = labFromText(dvrFile().replace('      floating_ips: [ { floating_ip_address: 172.24.4.10, fixed_ip_address: 10.0.1.5 } ]\n', ''));
  const r1 = none.nodes[0].services[0] as LabService<L3Spec>;
  t.same(r1.spec.floatingIps, []);
  t.notOk(
    runLines(dvrOps(none, r1)).some((l) => /rfp|fpr/.test(l)),
    'Neutron links a router to the fip namespace with its first floating IP',
  );
});

t.test('the plan: a DVR router starts once its fip namespace is up', async (t) => {
  const plan = buildPlan(lab, { datapath: 'netdev' });
  const task = plan.tasks.find((x) => x.id === 'service:qrouter-r1.compute1/l3')!;
  t.ok(task.after.includes('node:fip-public.compute1'));
  t.ok(
    plan.tasks.some((x) => x.id === 'move:qr-a:compute1') && plan.tasks.some((x) => x.id === 'move:qr-a:compute2'),
    'the same port name on two hosts: one task each',
  );
});

/** Two hosts, a DVR router r1 on c1 with a floating IP, its fip namespace, a snat namespace. */
function dvrFile(extra = '', r1 = '') {
  return `name: dx
switch: { bridges: [br-int, br-ex] }
hosts: [ { name: net1, role: network, external: true }, { name: c1, role: compute, external: true } ]
networks:
  - { name: n1, bridge: br-int, vni: 5, cidr: 10.0.1.0/24 }
  - { name: n2, bridge: br-int, vni: 6, cidr: 10.0.2.0/24 }
  - { name: pub, bridge: br-ex, cidr: 172.24.0.0/16 }
nodes:
  - name: qrouter-r1.c1
    role: router
    host: c1
    ports: [ { name: qr-a, network: n1, address: 10.0.1.1, type: internal, distributed: true } ]
    l3:
      dvr: { fip_namespace: fip.c1, snat_namespace: snat-r1 }
      floating_ips: [ { floating_ip_address: 172.24.4.10, fixed_ip_address: 10.0.1.5 } ]
${r1}
  - { name: fip.c1, role: router, host: c1, ports: [ { name: fg-c1, network: pub, address: 172.24.5.1, type: internal } ] }
  - name: snat-r1
    role: router
    host: net1
    ports:
      - { name: sg-a, network: n1, address: 10.0.1.2, type: internal }
      - { name: qg-r1, network: pub, address: 172.24.3.1, type: internal }
    l3: { gateway_port: qg-r1 }
${extra}`;
}

t.test('mistakes about DVR, each told where it is', async (t) => {
  const base = dvrFile();
  t.same(problemsOf(base), []);
  t.same(problemsOf(base.replace('dvr: { fip_namespace: fip.c1,', 'gateway_port: qr-a\n      dvr: { fip_namespace: fip.c1,')), [
    'nodes[0].l3.gateway_port: a DVR router on a compute node has no gateway port: its floating IPs leave by rfp- to the fip namespace; drop gateway_port',
  ]);
  t.same(problemsOf(base.replace('type: internal, distributed: true', 'type: internal')), [
    "nodes[0].l3.dvr: qr-a is not distributed: a DVR router's interfaces are (distributed: true)",
  ]);
  t.same(problemsOf(base.replace('fip_namespace: fip.c1,', 'fip_namespace: fip.c2,')), [
    'nodes[0].l3.dvr.fip_namespace: no node named "fip.c2"; did you mean "fip.c1"?',
  ]);
  t.same(problemsOf(base.replace('snat_namespace: snat-r1', 'snat_namespace: snat-r9')), [
    'nodes[0].l3.dvr.snat_namespace: no node named "snat-r9"; did you mean "snat-r1"?',
  ]);
  t.same(problemsOf(base.replace('fip_namespace: fip.c1, ', '')), [
    "nodes[0].l3.dvr.fip_namespace: a DVR router's floating IPs leave by the host's fip namespace: name it",
  ]);
  t.same(problemsOf(base.replace('{ name: fip.c1, role: router, host: c1,', '{ name: fip.c1, role: router, host: net1,')), [
    "nodes[0].l3.dvr.fip_namespace: fip.c1 is on net1, not on qrouter-r1.c1's host c1",
  ]);
  t.same(problemsOf(base.replace('floating_ip_address: 172.24.4.10', 'floating_ip_address: 10.0.2.10')), [
    'nodes[0].l3.floating_ips[0].floating_ip_address: 10.0.2.10 is not on a network of fip.c1, whose port there answers for it',
  ]);
  t.same(problemsOf(base.replace('fixed_ip_address: 10.0.1.5', 'fixed_ip_address: 10.0.9.5')), [
    'nodes[0].l3.floating_ips[0].fixed_ip_address: 10.0.9.5 is not on any internal network of qrouter-r1.c1',
  ]);
  t.same(
    problemsOf(
      base.replace('{ name: sg-a, network: n1, address: 10.0.1.2, type: internal }', '{ name: sg-a, network: n2, address: 10.0.2.2, type: internal }'),
    ),
    ["nodes[0].l3.dvr.snat_namespace: snat-r1 has no port on n1 (qr-a's network)"],
  );
  t.same(problemsOf(base.replace('name: qrouter-r1.c1', 'name: qrouter-averylongid1.c1')), [
    'nodes[0].l3.dvr: the router\'s id "averylongid1" (its name without qrouter- and .<host>) must be 1-11 letters, digits or dashes: it names rfp-averylongid1',
  ]);
  t.same(problemsOf(base.replace('distributed: true }', 'distributed: true, vrrp_managed: true }')), [
    'nodes[0].ports[0].distributed: a port is either a DVR interface (distributed) or an HA router port (vrrp_managed), not both',
    'nodes[0].ports[0].vrrp_managed: no keepalived instance on qrouter-r1.c1 moves 10.0.1.1; list it in virtual_ipaddress_excluded',
  ]);
  t.same(problemsOf(base.replace('type: internal, distributed: true', 'bridge_port: t-qr, distributed: true')), [
    "nodes[0].ports[0].type: a DVR router's interface is an OVS internal port (type: internal), as the L3 agent plugs it",
  ]);
  t.same(
    problemsOf(
      base.replace('network: n1, address: 10.0.1.1, type: internal, distributed: true', 'network: pub, address: 172.24.9.1, type: internal, distributed: true'),
    ),
    [
      "nodes[0].ports[0].distributed: pub is on br-ex: a DVR router's interfaces are on tenant networks (br-int)",
      'nodes[0].l3.floating_ips[0].fixed_ip_address: 10.0.1.5 is not on any internal network of qrouter-r1.c1',
    ],
  );
  t.same(problemsOf(base.replace('l3: { gateway_port: qg-r1 }', 'l3: { enable_snat: true }')), [
    'nodes[2].l3.gateway_port: a router needs gateway_port (or dvr: for a DVR router on a compute node)',
  ]);
  t.same(
    problemsOf(
      dvrFile(`
  - name: qrouter-r1.c1x
    role: router
    host: c1
    ports: [ { name: qr-b, network: n2, address: 10.0.2.1, type: internal, distributed: true } ]
    l3: { dvr: { fip_namespace: fip.c1 }, floating_ips: [ { floating_ip_address: 172.24.4.11, fixed_ip_address: 10.0.2.5 } ] }
`),
    ),
    ['nodes[3].l3.dvr: qrouter-r1.c1 already links to fip.c1 as rfp-r1'],
  );
  // A DVR port in a lab of one switch.
  t.same(
    problemsOf(`name: one
switch: { bridges: [br-int] }
networks: [ { name: n, bridge: br-int, cidr: 10.0.0.0/24 } ]
nodes: [ { name: r, role: router, ports: [ { name: qr, network: n, address: 10.0.0.1, type: internal, distributed: true } ] } ]
`),
    ['nodes[0].ports[0].distributed: a DVR router runs on several hosts, which this file does not declare (hosts:)'],
  );
});

t.test('a DVR port shares its address only with the same port elsewhere', async (t) => {
  const twice = dvrFile(`
  - name: qrouter-r1.net1
    role: router
    host: net1
    ports: [ { name: qr-a, network: n1, address: 10.0.1.1, type: internal, distributed: true } ]
    l3: { dvr: { snat_namespace: snat-r1 } }
  - { name: vm, role: vm, host: c1, ports: [ { name: eth0, network: n1, address: 10.0.1.1, bridge_port: t-vm } ] }
`);
  t.same(problemsOf(twice), ['nodes[4].ports[0].address: 10.0.1.1 is already used on n1 by qrouter-r1.net1/qr-a']);
  t.same(problemsOf(twice.replace(/ {2}- \{ name: vm, .*\n/, '')), [], 'the same port on two hosts, each with its own qr-a on its switch');
  // A DVR router with no floating IP (the network node's part here): no link to a fip
  // namespace, only its redirect to the snat namespace and its ARP entries.
  const lab2 = labFromText(twice.replace(/ {2}- \{ name: vm, .*\n/, ''));
  const net1 = lab2.nodes.find((n) => n.name === 'qrouter-r1.net1')!.services[0] as LabService<L3Spec>;
  const ops = dvrOps(lab2, net1);
  t.equal(ops.length, 1, 'one ip -batch in the router');
  t.same(runLines(ops).slice(0, 2), [
    'route replace default via 10.0.1.2 dev qr-a table 167772417',
    'rule add from 10.0.1.0/24 table 167772417 priority 167772417',
  ]);
  t.notOk(
    runLines(ops).some((l) => /rfp|fpr|table 16( |$)/.test(l)),
    'no floating IP, no rfp-',
  );
});
