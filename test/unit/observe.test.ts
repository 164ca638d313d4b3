// Judging traffic and parsing what iptables and ip report: pure functions.
import t from 'tap';
import { parseAddrShow } from '../../src/observe/address-watch.js';
import { emptyFacts, holdersOf } from '../../src/kinds/facts.js';
import { parseSaveCounters } from '../../src/services/l3-agent/observe.js';
import type { Sample } from '../../src/sample.js';
import { longestOutage, percentile } from '../../src/stats.js';
import { countBy, judgeTraffic } from '../../src/steps/judge.js';

const reply = (seq: number, body: string, ms = 2): Sample => ({ seq, t: 1000 + seq * 50, ok: true, ms, body });
const fail = (seq: number, error = 'ECONNREFUSED'): Sample => ({ seq, t: 1000 + seq * 50, ok: false, ms: 1, error });

t.test('round robin holds when replies alternate', async (t) => {
  const v = judgeTraffic([reply(1, 'a'), reply(2, 'b'), reply(3, 'a'), reply(4, 'b')], { alternate: ['a', 'b'], maxFailed: 0 });
  t.ok(v.ok);
  t.equal(v.detail, '4/4 ok, alternating a/b (p50 2 ms)');
  t.equal(v.failed, 0);
});

t.test('round robin fails on repeats, strangers, missing servers and failures', async (t) => {
  const v = judgeTraffic([reply(1, 'a'), reply(2, 'a'), fail(3), reply(4, 'c')], { alternate: ['a', 'b'], maxFailed: 0 });
  t.notOk(v.ok);
  t.equal(v.detail, '3/4 ok; 1 failed (ECONNREFUSED), at most 0 allowed; unexpected replies c; no reply from b; 1 replies repeated the previous server');
});

t.test('samples are judged in send order, not arrival order', async (t) => {
  t.ok(judgeTraffic([reply(2, 'b'), reply(1, 'a'), reply(3, 'a')], { alternate: ['a', 'b'], maxFailed: 0 }).ok);
});

t.test('only: every reply from the named servers', async (t) => {
  t.ok(judgeTraffic([reply(1, 'a'), reply(2, 'a')], { only: ['a'], maxFailed: 0 }).ok);
  const v = judgeTraffic([reply(1, 'a'), reply(2, 'b'), fail(3)], { only: ['a'], maxFailed: 1 });
  t.notOk(v.ok);
  t.equal(v.detail, '2/3 ok; replies from b, expected only a');
});

t.test('outage: the longest run of failures, send to next good send', async (t) => {
  t.equal(longestOutage([reply(1, 'a'), fail(2), fail(3), reply(4, 'a'), fail(5), reply(6, 'a')]), 100);
  t.equal(longestOutage([reply(1, 'a'), fail(2), fail(3), fail(4)]), 100, 'an outage still going counts to the last send');
  t.equal(longestOutage([reply(1, 'a')]), 0);
});

t.test('percentile and failure counts', async (t) => {
  t.equal(percentile([], 50), 0);
  t.equal(percentile([5, 1, 3], 50), 3);
  t.equal(countBy(['HTTP 503', 'HTTP 503', 'ECONNRESET']), 'HTTP 503 x2, ECONNRESET x1');
});

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

t.test('min_failed: a stream expected to have died', async (t) => {
  const dead = [fail(1, 'no data for over 1000 ms'), fail(2, 'no data for over 1000 ms')];
  const v = judgeTraffic(dead, { maxFailed: 2, minFailed: 2 });
  t.ok(v.ok);
  t.equal(v.detail, '0/2 ok, 2 failed as expected (no data for over 1000 ms)', 'no latency figure without a reply');
  t.notOk(judgeTraffic([reply(1, 'push'), fail(2)], { maxFailed: 2, minFailed: 2 }).ok, 'one still flowing: not dead');
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
