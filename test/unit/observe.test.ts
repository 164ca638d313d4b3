// Parsing what iptables and ip report, and the observation hub: pure functions and fakes.
import t from 'tap';
import { parseAddrShow } from '../../src/observe/address-watch.js';
import { emptyFacts, holdersOf } from '../../src/kinds/facts.js';
import { parseSaveCounters } from '../../src/services/l3-agent/observe.js';

t.test('iptables-save -c counters', async (t) => {
  const text = `*nat
:PREROUTING ACCEPT [5:300]
[12:720] -A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
[0:0] -A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100
COMMIT
`;
  const c = parseSaveCounters(text);
  t.equal(c.size, 2);
  t.equal(c.get('-A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100'), 12);
  t.equal(c.get('-A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100'), 0);
});

t.test('ip -o -4 addr: each device and address but lo, and who holds an address', async (t) => {
  const text = `1: lo    inet 127.0.0.1/8 scope host lo\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.1.0.11/24 brd 10.1.0.255 scope global eth0\\       valid_lft forever preferred_lft forever
2: eth0    inet 10.1.0.100/24 scope global secondary eth0\\       valid_lft forever preferred_lft forever
`;
  const addrs = parseAddrShow(text);
  t.same(addrs, [
    { dev: 'eth0', address: '10.1.0.11/24' },
    { dev: 'eth0', address: '10.1.0.100/24' },
  ]);
  const facts = emptyFacts();
  facts.addresses = { lb1: addrs, lb2: [{ dev: 'eth0', address: '10.1.0.12/24' }], client: [] };
  t.same(holdersOf(facts, '10.1.0.100'), ['lb1']);
  facts.addresses.lb2.push({ dev: 'eth0', address: '10.1.0.100/24' });
  t.same(holdersOf(facts, '10.1.0.100'), ['lb1', 'lb2'], 'two holders: the SIGKILL trap');
  t.same(holdersOf(facts, '10.9.9.9'), []);
});

t.test('an observer that fails unexpectedly is told once per message, and polling goes on', async (t) => {
  const { Observation } = await import('../../src/observe/hub.js');
  const { fakeHost } = await import('../fake-host.js');
  const { loadFixtureLab } = await import('../helpers.js');
  const host = fakeHost();
  let calls = 0;
  host.query = async () => {
    calls++;
    throw new Error('ip: cannot open netns\nmore');
  };
  const events: { type: string; message?: string }[] = [];
  const o = new Observation(loadFixtureLab(), host, (e) => events.push(e));
  await o.poll(['addresses']);
  await o.poll(['addresses']);
  o.stop();
  t.ok(calls >= 2, 'polled again after the failure');
  t.same(
    events.filter((e) => e.type === 'problem').map((e) => e.message),
    ['observer addresses: ip: cannot open netns'],
  );
});

t.test('a load balancer that joins at run time is observed like one built with the lab; one that leaves is not', async (t) => {
  const { Observation } = await import('../../src/observe/hub.js');
  const { fakeHost } = await import('../fake-host.js');
  const { loadFixtureLab } = await import('../helpers.js');
  const lab = loadFixtureLab();
  const asked: string[] = [];
  const host = fakeHost();
  host.unixRequest = async (path) => {
    asked.push(path);
    throw new Error('not yet');
  };
  const lb = lab.nodes.find((n) => n.name === 'qlbaas-01')!;
  lab.nodes.splice(lab.nodes.indexOf(lb), 1);
  const o = new Observation(lab, host, () => {});
  t.teardown(() => o.stop());
  await o.poll(['haproxy']);
  t.same(asked, [], 'no load balancer, nothing asked');
  lab.nodes.push(lb);
  o.nodesChanged();
  await o.poll(['haproxy']);
  t.match(asked, [/qlbaas-01\/haproxy_stats\.sock$/], 'its stats socket asked once it joined');
  lab.nodes.splice(lab.nodes.indexOf(lb), 1);
  o.nodesChanged();
  await o.poll(['haproxy']);
  t.equal(asked.length, 1, 'and no more once it left');
});

t.test('the facts event carries what the screen draws, and the plain lines print it', async (t) => {
  const { loadFixtureLab } = await import('../helpers.js');
  const { factsEvent, servicePanels, rowText } = await import('../../src/observe/snapshot.js');
  const { natFacts } = await import('../../src/services/l3-agent/observe.js');
  const { haproxyFacts } = await import('../../src/services/haproxy/observe.js');
  const { lineReporter, jsonReporter } = await import('../../src/report/reporters.js');
  const lab = loadFixtureLab();
  const facts = emptyFacts();
  haproxyFacts(facts, { node: 'qlbaas-01', name: 'lb' })['944ff4a0-4070-40e4-8189-20f385755113'] = {
    node: 'vm2',
    status: 'DOWN',
    sessions: 0,
    checkStatus: 'L4CON',
  };
  const router = lab.nodes.find((n) => n.name === 'qrouter01')!.services.find((s) => s.kind === 'l3-agent')!;
  Object.assign(natFacts(facts, router as never)[0], { packets: 146, delta: 12 });
  facts.addresses = { vm1: [{ dev: 'eth0', address: '10.0.0.81/24' }] };
  facts.security = { 'vm1/eth0': { enabled: true, groups: ['web'], pairs: [], summary: 'sg web', drops: { spoof: 2, 'no-rule': 0 } } };
  const e = factsEvent(lab, facts, 'end');
  t.same(
    e.panels,
    servicePanels(lab, facts).map((p) => ({ title: p.title, lines: p.rows.map(rowText) })),
    'the panels the screen draws, as text',
  );
  t.same(
    e.panels.map((p) => p.title),
    ['Services', 'NAT rules (packets = new flows)'],
    "the router's NAT counters in a panel of their own",
  );
  t.match(e.panels[0].lines.join('\n'), /vm2 +10\.0\.0\.82:80 +DOWN +sess 0 +L4CON/);
  t.same(e.addresses, { vm1: ['10.0.0.81/24 eth0'] });
  const lines: string[] = [];
  lineReporter((l) => lines.push(l), false).event(e);
  t.equal(lines[0], '  at the end:');
  t.ok(lines.includes('    NAT rules (packets = new flows):'));
  t.ok(lines.includes('      qrouter01 gateway qg01 10.255.253.10'));
  t.ok(
    lines.some((l) => /^ +146 \+12 +PREROUTING DNAT 10\.255\.253\.100->10\.0\.0\.100$/.test(l)),
    lines.join('\n'),
  );
  t.same(lines.slice(-2), ['    Port security:', '      vm1/eth0: dropped spoof 2'], 'drop counters that counted, and only those');
  const json: string[] = [];
  jsonReporter((l) => json.push(l)).event(e);
  t.same(JSON.parse(json[0]).panels, e.panels);
  const none: string[] = [];
  lineReporter((l) => none.push(l), false).event({ type: 'facts', when: 'start', panels: [{ title: 'Services', lines: [] }], addresses: {}, security: {} });
  t.same(none, [], 'nothing to show, nothing printed');
});
