// Port security as pure logic: the flows a state renders, Neutron's refusals, the article's
// commands as typed. The real switch enforcing them is test/integration/port-security.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../../test/helpers.js';
import { type UserError } from '../errors.js';
import { loadScenarioFile, parseScenario } from '../scenario/load.js';
import { resolveLab, resolveRunTimeNode } from '../scenario/resolve.js';
import { fakeHost } from '../../test/fake-host.js';
import { nodeSecurityOps } from './apply.js';
import { createPort, createRule, deletePort, deleteRule, describeCreatedPort, describePort, updatePort } from './changes.js';
import { dropCookie, parseDropCookie, rangeMasks, renderFlows, ruleMatches } from './flows.js';
import { describeRule, initialSecurity, protocolName, protocolNumber, usesPortSecurity } from './model.js';
import { parseNeutron, resolvePort } from './neutron-cli.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'keepalived-vip.yaml')), { stateRoot: '/run/lablb' });
const flagship = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb.yaml')), { stateRoot: '/run/lablb' });
const flowsOf = (state = initialSecurity(lab)) => renderFlows(lab, state, {})['br-int'].trim().split('\n');

t.test('port ranges become masked matches that cover exactly the range', async (t) => {
  t.same(rangeMasks(80, 80), ['80']);
  t.same(rangeMasks(0, 65535), ['0x0/0x0']);
  t.same(rangeMasks(8080, 8081), ['0x1f90/0xfffe']);
  for (const [lo, hi] of [
    [1, 1023],
    [80, 443],
    [1000, 1999],
    [3, 17],
    [65000, 65535],
  ]) {
    const hits = new Map<number, number>();
    for (const m of rangeMasks(lo, hi)) {
      const [v, mask] = m.includes('/') ? m.split('/').map(Number) : [Number(m), 0xffff];
      for (let p = 0; p <= 0xffff; p++) if ((p & mask) === v) hits.set(p, (hits.get(p) ?? 0) + 1);
    }
    const ports = [...hits.keys()];
    t.equal(hits.size, hi - lo + 1, `${lo}-${hi}: as many ports as the range`);
    t.ok(
      ports.every((p) => p >= lo && p <= hi),
      `${lo}-${hi}: nothing outside`,
    );
    t.ok(
      [...hits.values()].every((n) => n === 1),
      `${lo}-${hi}: each port matched once`,
    );
  }
});

t.test('rules as OpenFlow matches', async (t) => {
  t.same(ruleMatches({ id: 'a', direction: 'ingress', protocol: 112 }), ['ip,nw_proto=112']);
  t.same(ruleMatches({ id: 'a', direction: 'egress' }), ['ip']);
  t.same(ruleMatches({ id: 'a', direction: 'ingress', protocol: 6, portMin: 80, portMax: 81, remote: '10.0.0.0/8' }), [
    'tcp,nw_src=10.0.0.0/8,tp_dst=0x50/0xfffe',
  ]);
  t.same(ruleMatches({ id: 'a', direction: 'egress', protocol: 17, portMin: 53, remote: '10.0.0.0/8' }), ['udp,nw_dst=10.0.0.0/8,tp_dst=53']);
  t.same(ruleMatches({ id: 'a', direction: 'ingress', protocol: 1, portMin: 8, portMax: 0 }), ['icmp,icmp_type=8,icmp_code=0']);
  t.same(ruleMatches({ id: 'a', direction: 'ingress', protocol: 6, remote: '0.0.0.0/0' }), ['tcp'], 'anywhere needs no match');
  t.equal(describeRule({ id: 'a', direction: 'ingress', protocol: 6, portMin: 80, portMax: 81, remote: '10.0.0.0/8' }), 'ingress tcp 80-81 from 10.0.0.0/8');
  t.equal(protocolNumber('vrrp'), 112);
  t.equal(protocolNumber('112'), 112);
  t.equal(protocolNumber('300'), undefined);
  t.equal(protocolNumber(1.5), undefined);
  // The edges of IP's protocol field, as a number and as text.
  t.same([0, 255, 256, -1].map(protocolNumber), [0, 255, undefined, undefined]);
  t.same(['0', '255', '256', '1122', 'x112', '112x', ''].map(protocolNumber), [0, 255, undefined, undefined, undefined, undefined, undefined]);
  t.equal(protocolName(47), '47');
});

t.test('the flows: table 24 per address, drops counted per port, VRRP only through a rule', async (t) => {
  const flows = flowsOf();
  t.ok(flows.includes('table=24,priority=2,arp,in_port=tapka01,arp_spa=172.16.200.193,actions=resubmit(,25)'));
  t.notOk(
    flows.some((f) => f.includes('arp_spa=172.16.200.251')),
    "no pair yet: the VIP's ARP is dropped",
  );
  t.ok(flows.some((f) => /^table=24,priority=1,cookie=0x[0-9a-f]+,arp,in_port=tapka01,actions=drop$/.test(f)));
  t.ok(flows.includes('table=25,priority=3,ip,in_port=tapka01,dl_src=fa:16:3e:c8:00:c1,nw_src=172.16.200.193,actions=resubmit(,60)'));
  t.notOk(
    flows.some((f) => f.includes('nw_proto=112')),
    'no VRRP rule in the group',
  );
  t.ok(
    flows.some((f) => f.startsWith('table=62,priority=100,reg6=1,ip,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=load:')),
    'multicast fans out per port',
  );
  t.equal(flows.at(-1), 'table=0,priority=0,actions=NORMAL');

  const { state } = createRule(initialSecurity(lab), 'web', { direction: 'ingress', protocol: 112 });
  const paired = updatePort(lab, state, { port: 'keepalived01/eth0', pairs: [{ ip: '172.16.200.251' }] });
  const after = flowsOf(paired);
  t.ok(
    after.some((f) => f.startsWith('table=82,priority=50,reg5=1,ip,nw_proto=112,actions=output:tapka01')),
    'VRRP in to keepalived01',
  );
  t.ok(after.includes('table=24,priority=2,arp,in_port=tapka01,arp_spa=172.16.200.251,actions=resubmit(,25)'), "the pair's ARP");
  t.ok(after.includes('table=25,priority=3,ip,in_port=tapka01,dl_src=fa:16:3e:c8:00:c1,nw_src=172.16.200.251,actions=resubmit(,60)'), "the pair's packets");

  let off = updatePort(lab, paired, { port: 'keepalived02/eth0', groups: [] });
  off = updatePort(lab, off, { port: 'keepalived02/eth0', enabled: false });
  const unguarded = flowsOf(off);
  t.notOk(
    unguarded.some((f) => f.includes('in_port=tapka02,') && f.includes('table=24')),
    'port security off: none of its anti-spoofing flows',
  );
  t.ok(unguarded.includes('table=0,priority=9,in_port=tapka02,actions=resubmit(,60)'));
  t.ok(
    unguarded.some((f) => f.includes('output:tapka02') && f.startsWith('table=62,priority=100')),
    'multicast reaches it unfiltered',
  );

  // A lab without port security keeps plain switching.
  t.notOk(usesPortSecurity(flagship));
  t.same(renderFlows(flagship, initialSecurity(flagship), {}), {
    'br-int': 'table=0,priority=0,actions=NORMAL\n',
    'br-ex': 'table=0,priority=0,actions=NORMAL\n',
  });
  t.same(parseDropCookie(dropCookie(3, 'ingress')), { portIndex: 3, reason: 'ingress' });
  t.equal(parseDropCookie(0), undefined);
});

t.test("Neutron's refusals", async (t) => {
  const s = initialSecurity(lab);
  t.throws(() => updatePort(lab, s, { port: 'keepalived01/eth0', enabled: false }), /has security group associated\. Cannot disable port security/);
  t.throws(() => updatePort(lab, s, { port: 'keepalived01/eth1', groups: [] }), /Port keepalived01\/eth1 could not be found/);
  try {
    updatePort(lab, s, { port: 'keepalived01/eth0', groups: ['wbe'] });
    t.fail('an unknown group is refused');
  } catch (e) {
    t.match((e as UserError).message, /Security group wbe could not be found/);
    t.match((e as UserError).hint, /did you mean web/);
  }
  const paired = updatePort(lab, s, { port: 'client/eth0', groups: [], pairs: [{ ip: '10.1.0.0/24' }] });
  t.throws(() => updatePort(lab, paired, { port: 'client/eth0', enabled: false }), /Port Security must be enabled in order to have allowed address pairs/);
  const off = updatePort(lab, updatePort(lab, paired, { port: 'client/eth0', pairs: [] }), { port: 'client/eth0', enabled: false });
  t.equal(describePort(off.ports['client/eth0']), 'port security off');
  t.throws(() => updatePort(lab, off, { port: 'client/eth0', groups: ['web'] }), /port security disabled: it cannot have security groups/);
  t.equal(describePort(updatePort(lab, off, { port: 'client/eth0', groups: ['web'], enabled: true }).ports['client/eth0']), 'port security on, groups web');
  t.throws(() => createRule(s, 'web', { direction: 'ingress', protocol: 6 }), /Security group rule already exists\. Rule id is web-2/);
  const { state, rule } = createRule(s, 'web', { direction: 'ingress', protocol: 112 });
  t.equal(rule.id, 'web-5');
  t.equal(deleteRule(state, 'web-5').state.groups[0].rules.length, 4);
  t.throws(() => deleteRule(state, 'web-9'), /Security group rule web-9 could not be found/);
  t.throws(() => createRule(s, 'nope', { direction: 'ingress' }), /Security group nope could not be found/);
});

t.test("the article's neutron commands, as typed", async (t) => {
  t.same(parseNeutron(['port-update', 'keepalived01', '--allowed-address-pairs', 'type=dict', 'list=true', 'ip_address=172.16.200.251'], lab), {
    kind: 'port-update',
    change: { port: 'keepalived01/eth0', pairs: [{ ip: '172.16.200.251' }] },
  });
  t.same(
    parseNeutron(['port-update', 'keepalived02/eth0', '\u2014port_security_enabled=False'], lab),
    { kind: 'port-update', change: { port: 'keepalived02/eth0', enabled: false } },
    "the blog's em dash",
  );
  t.same(parseNeutron(['port-update', '--no-security-groups', 'keepalived02'], lab), {
    kind: 'port-update',
    change: { port: 'keepalived02/eth0', groups: [] },
  });
  t.same(parseNeutron(['port-update', 'client', '--security-group', 'web', '--port-security-enabled', 'true'], lab), {
    kind: 'port-update',
    change: { port: 'client/eth0', groups: ['web'], enabled: true },
  });
  t.same(parseNeutron(['port-update', 'client', '--allowed-address-pairs', 'action=clear'], lab).kind, 'port-update');
  t.same(
    parseNeutron(['port-update', 'keepalived01', '--admin-state-up', 'False'], lab),
    {
      kind: 'port-update',
      change: { port: 'keepalived01/eth0', adminStateUp: false },
    },
    "seed 004's trigger, alone",
  );
  t.same(parseNeutron(['port-update', 'keepalived01', '--admin_state_up=true'], lab).kind, 'port-update');
  t.throws(() => parseNeutron(['port-update', 'keepalived01', '--admin-state-up', 'down'], lab), /--admin-state-up is True or False, not "down"/);
  t.throws(() => parseNeutron(['port-update', 'keepalived01'], lab), /say what changes .*--admin-state-up/);
  t.same(parseNeutron(['port-update', 'client', '--allowed-address-pairs', 'ip_address=10.9.0.0/24,mac_address=FA:16:3E:00:00:01'], lab), {
    kind: 'port-update',
    change: { port: 'client/eth0', pairs: [{ ip: '10.9.0.0/24', mac: 'fa:16:3e:00:00:01' }] },
  });
  t.same(parseNeutron(['security-group-rule-create', '--protocol', '112', '--direction', 'ingress', 'web'], lab), {
    kind: 'security-group-rule-create',
    group: 'web',
    rule: { direction: 'ingress', protocol: 112 },
  });
  t.same(
    parseNeutron(
      [
        'security-group-rule-create',
        '--protocol=tcp',
        '--port-range-min',
        '80',
        '--port-range-max=81',
        '--remote-ip-prefix',
        '10.0.0.0/8',
        '--ethertype',
        'IPv4',
        'web',
      ],
      lab,
    ),
    { kind: 'security-group-rule-create', group: 'web', rule: { direction: 'ingress', protocol: 6, portMin: 80, portMax: 81, remote: '10.0.0.0/8' } },
  );
  t.same(parseNeutron(['security-group-rule-delete', 'web-5'], lab), { kind: 'security-group-rule-delete', id: 'web-5' });
  t.same(parseNeutron(['port-list'], lab), { kind: 'port-list' });
  t.same(parseNeutron(['security-group-rule-list'], lab), { kind: 'security-group-rule-list' });
  t.same(parseNeutron(['port-show', 'client'], lab), { kind: 'port-show', port: 'client/eth0' });
  t.equal(resolvePort(lab, 'client/eth0'), 'client/eth0');

  // Bad input: one clear message each, and nothing that could reach a flow.
  const refuses: [string[], RegExp][] = [
    [['port-update', 'client', '--allowed-address-pairs', 'ip_address=10.0.0.1\ntable=0'], /ip_address .* is not an IPv4 address/],
    [['port-update', 'client', '--allowed-address-pairs', 'ip_address=10.0.0.1,actions=drop'], /not actions=/],
    [['port-update', 'client', '--allowed-address-pairs', 'ip_address=10.0.0.1,mac_address=zz'], /mac_address "zz" is not a MAC/],
    [['port-update', 'client', '--allowed-address-pairs', 'ip=10.0.0.1'], /ip_address= and mac_address=, not ip=/],
    [['port-update', 'client', '--allowed-address-pairs'], /needs ip_address=/],
    [['port-update', 'client', '--port_security_enabled=maybe'], /True or False/],
    [['port-update', 'client', '--no-security-groups', '--security-group', 'web'], /together/],
    [['port-update', 'client'], /say what changes/],
    [['port-update', 'client', 'vm2', '--no-security-groups'], /one port/],
    [['port-update', 'nobody', '--no-security-groups'], /Port nobody could not be found/],
    [['port-update', 'client', '--fixed-ip', 'x'], /unknown option --fixed-ip/],
    [['port-update', 'client', '--security-group'], /needs a value/],
    [['port-update', 'client', '--foo'], /unknown option --foo;/],
    [['port-list', '--all'], /unknown option --all; this command takes none/],
    [['security-group-rule-create', '--protocol', 'gre', 'web'], /--protocol is tcp, udp, icmp, vrrp or a number/],
    [['security-group-rule-create', '--protocol', '112', '--port-range-min', '1', 'web'], /port ranges need/],
    [['security-group-rule-create', '--protocol', 'tcp', '--port-range-max', '1', 'web'], /needs --port-range-min/],
    [['security-group-rule-create', '--protocol', 'tcp', '--port-range-min', '99999', 'web'], /from 0 to 65535/],
    [['security-group-rule-create', '--protocol', 'tcp', '--port-range-min', '9', '--port-range-max', '1', 'web'], /below/],
    [['security-group-rule-create', '--remote-ip-prefix', '10.0.0.1/8', 'web'], /not an IPv4 network/],
    [['security-group-rule-create', '--remote-group-id', 'web', 'web'], /not modelled/],
    [['security-group-rule-create', '--ethertype', 'IPv6', 'web'], /IPv4 rules only/],
    [['security-group-rule-create', '--direction', 'up', 'web'], /ingress or egress/],
    [['security-group-rule-create', '--direction', 'ingress'], /one security group/],
    [['security-group-rule-create', '--protocol', 'tcp', '--protocol', 'udp', 'web'], /given twice/],
    [['security-group-rule-delete'], /one rule id/],
    [['net-create', 'x'], /unknown command "net-create"/],
    [[], /which command/],
  ];
  for (const [argv, why] of refuses) t.throws(() => parseNeutron(argv, lab), why, argv.join(' '));
  const twoPorts = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha.yaml')), { stateRoot: '/run/lablb' });
  t.throws(() => resolvePort(twoPorts, 'qrouter-net1'), /has several ports: qrouter-net1\/ha-n1/);
  t.throws(() => resolvePort(twoPorts, undefined), /which port/);
});

t.test('a node joining at run time takes its place in the flows; one leaving is out of them before its ports go', async (t) => {
  const running = { ...lab, nodes: [...lab.nodes] };
  const block = {
    name: 'keepalived03',
    role: 'vm',
    ports: [
      {
        name: 'eth0',
        network: 'private',
        address: '172.16.200.195',
        mac: 'fa:16:3e:c8:00:c3',
        bridge_port: 'tapka03',
        security_groups: ['web'],
        allowed_address_pairs: [{ ip_address: '172.16.200.251' }],
      },
    ],
  };
  const { node, problems } = resolveRunTimeNode(running, block);
  t.same(problems, [], 'port security is allowed on a node added at run time');
  running.nodes.push(node!);
  const host = fakeHost();
  const join = await nodeSecurityOps(host, running, node!, 'join');
  const state = JSON.parse((join[0] as { content: string }).content) as { ports: Record<string, unknown> };
  t.ok(state.ports['keepalived03/eth0'], 'its port is in the state');
  const flows = (join.find((op) => op.kind === 'write' && op.path.endsWith('br-int.flows')) as { content: string }).content;
  t.match(flows, /arp,in_port=tapka03,arp_spa=172\.16\.200\.251,actions=resubmit\(,25\)/, 'the allowed pair answers ARP');
  t.ok(
    join.some((op) => op.kind === 'run' && op.argv.includes('replace-flows')),
    'the bridge rewritten in one bundle',
  );
  host.files.set(join[0].kind === 'write' ? join[0].path : '', (join[0] as { content: string }).content);
  running.nodes.pop();
  const leave = await nodeSecurityOps(host, running, node!, 'leave');
  t.notMatch((leave.find((op) => op.kind === 'write' && op.path.endsWith('br-int.flows')) as { content: string }).content, /tapka03/, 'gone from the flows');
  t.notOk((JSON.parse((leave[0] as { content: string }).content) as { ports: Record<string, unknown> }).ports['keepalived03/eth0']);
  // A port left admin-down is forgotten with its node; another's stays down.
  const downState = JSON.parse((join[0] as { content: string }).content) as { adminDown?: string[] };
  downState.adminDown = ['keepalived03/eth0', 'keepalived01/eth0'];
  host.files.set(join[0].kind === 'write' ? join[0].path : '', JSON.stringify(downState));
  const leaveDown = await nodeSecurityOps(host, running, node!, 'leave');
  t.same((JSON.parse((leaveDown[0] as { content: string }).content) as { adminDown?: string[] }).adminDown, ['keepalived01/eth0']);

  const plain = { ...flagship, nodes: [...flagship.nodes] };
  const vm3 = resolveRunTimeNode(plain, {
    name: 'vm3',
    role: 'vm',
    ports: [{ name: 'eth0', network: 'tenant1-net', address: '10.0.0.83', bridge_port: 'tapvm3' }],
  }).node!;
  t.same(await nodeSecurityOps(fakeHost(), plain, vm3, 'join'), [], 'a lab without port security keeps NORMAL switching: nothing to write');
});

t.test("a network's port_security_enabled is its ports' default, as Neutron gives a new port", async (t) => {
  const text = readFileSync(join(ROOT, 'scenarios', 'keepalived-vip.yaml'), 'utf8');
  const off = text.replace(
    '{ name: private, bridge: br-int, vlan: 1, cidr: 172.16.200.0/24 }',
    '{ name: private, bridge: br-int, vlan: 1, cidr: 172.16.200.0/24, port_security_enabled: false }',
  );
  t.throws(() => resolveLab(parseScenario(off, 'vip.yaml'), { stateRoot: '/run/lablb' }), {
    message:
      /nodes\[0\]\.ports\[0\]\.security_groups.*private has port_security_enabled: false, so its ports have none unless they say port_security_enabled: true/s,
  });
  // keepalived01 turns it on for itself; the others have their groups taken off and inherit "off".
  const mixed = off
    .replace('bridge_port: tapka01, security_groups: [web] }', 'bridge_port: tapka01, security_groups: [web], port_security_enabled: true }')
    .replace('bridge_port: tapka02, security_groups: [web] }', 'bridge_port: tapka02 }')
    .replace(/(bridge_port: tapclient), security_groups: \[web\]/, '$1');
  const lab = resolveLab(parseScenario(mixed, 'vip.yaml'), { stateRoot: '/run/lablb' });
  const security = (node: string) => lab.nodes.find((n) => n.name === node)!.ports[0].security;
  t.same(security('keepalived01'), { enabled: true, groups: ['web'], pairs: [] });
  t.same(security('keepalived02'), { enabled: false, groups: [], pairs: [] }, 'off, from its network');
  t.same(security('client'), { enabled: false, groups: [], pairs: [] });
  const flows = renderFlows(lab, initialSecurity(lab), {})['br-int'];
  t.match(flows, /dl_src=fa:16:3e:c8:00:c1/, 'the port that asked is guarded');
  t.notMatch(flows, /dl_src=fa:16:3e:c8:00:c2/, 'the one that inherited "off" is not');
  // Unset on the network: each port as it says.
  const asIs = resolveLab(parseScenario(text, 'vip.yaml'), { stateRoot: '/run/lablb' });
  t.same(asIs.nodes.find((n) => n.name === 'keepalived02')!.ports[0].security, { enabled: true, groups: ['web'], pairs: [] });
  t.same(asIs.networks[0].portSecurity, undefined);
});

t.test("port-create: a port with no device holds its address, as Neutron's IPAM; port-delete frees it", async (t) => {
  const parsed = parseNeutron(['port-create', 'private', '—allowed-address-pairs', 'type-dict', 'list-true', 'ip_address=172.16.200.251'], lab);
  t.same(parsed, { kind: 'port-create', request: { network: 'private', pairs: [{ ip: '172.16.200.251' }] } }, "the article's line, as the blog prints it");
  t.same(parseNeutron(['port-create', 'private', '--name', 'vip', '--fixed-ip', 'ip_address=172.16.200.251'], lab), {
    kind: 'port-create',
    request: { network: 'private', name: 'vip', address: '172.16.200.251', pairs: [] },
  });
  t.throws(() => parseNeutron(['port-create', 'private', '--fixed-ip', 'subnet_id=x'], lab), /--fixed-ip is ip_address=IP/);
  t.throws(() => parseNeutron(['port-create', 'private', '--fixed-ip', 'ip_address=1.2.3'], lab), /--fixed-ip is ip_address=IP/);
  t.throws(() => parseNeutron(['port-create', 'private', '--name', '../x'], lab), /--name "\.\.\/x": letters/);
  t.throws(() => parseNeutron(['port-create'], lab), /port-create takes one network/);
  t.throws(() => parseNeutron(['port-create', 'private', '--device-owner', 'x'], lab), /unknown option --device-owner/);
  t.same(parseNeutron(['port-show', 'vip'], lab), { kind: 'port-show', port: 'vip', created: true }, 'perhaps a port port-create made');
  t.same(parseNeutron(['port-show', 'keepalived01'], lab), { kind: 'port-show', port: 'keepalived01/eth0' });
  t.same(parseNeutron(['port-delete', 'vip'], lab), { kind: 'port-delete', id: 'vip' });

  const state = initialSecurity(lab);
  const first = createPort(lab, state, { network: 'private', pairs: [] });
  t.same(first.port, { id: 'port-1', network: 'private', address: '172.16.200.254', pairs: [] }, 'the highest free address, a numbered name');
  const vip = createPort(lab, first.state, { network: 'private', name: 'vip', address: '172.16.200.251', pairs: [] });
  t.equal(vip.state.created?.length, 2);
  t.same(state.created, undefined, 'the state given is not changed');
  t.throws(
    () => createPort(lab, vip.state, { network: 'private', address: '172.16.200.251', pairs: [] }),
    /IP address 172\.16\.200\.251 already allocated in subnet 172\.16\.200\.0\/24/,
  );
  t.throws(
    () => createPort(lab, state, { network: 'private', address: '172.16.200.193', pairs: [] }),
    /172\.16\.200\.193 already allocated/,
    "a node's port holds its address",
  );
  t.throws(() => createPort(lab, state, { network: 'private', address: '10.9.9.9', pairs: [] }), /not in private's subnet 172\.16\.200\.0\/24/);
  t.throws(() => createPort(lab, state, { network: 'privat', pairs: [] }), { message: 'Network privat could not be found', hint: 'did you mean private?' });
  t.throws(() => createPort(lab, vip.state, { network: 'private', name: 'vip', pairs: [] }), /Port vip already exists/);
  t.throws(() => createPort(lab, state, { network: 'private', name: 'keepalived01/eth0', pairs: [] }), /already exists/);
  t.equal(createPort(lab, first.state, { network: 'private', pairs: [] }).port.id, 'port-2');
  t.equal(createPort(lab, first.state, { network: 'private', pairs: [] }).port.address, '172.16.200.253', 'the next free one down');
  const gone = deletePort(vip.state, 'vip');
  t.same(
    gone.state.created?.map((c) => c.id),
    ['port-1'],
  );
  t.same(deletePort(gone.state, 'port-1').state.created, undefined);
  t.throws(() => deletePort(gone.state, 'vip'), /Port vip could not be found/);
  t.equal(
    describeCreatedPort({ id: 'p', network: 'private', address: '172.16.200.251', pairs: [{ ip: '172.16.200.251' }] }),
    'on private, 172.16.200.251, no device, allowed address pairs 172.16.200.251',
  );
  t.same(renderFlows(lab, vip.state, {}), renderFlows(lab, state, {}), 'no device, no flows');
});
