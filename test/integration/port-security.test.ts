// Neutron port security for real (seed 003, scenarios/keepalived-vip.yaml): split brain while
// the security group has no VRRP rule, one MASTER once it has, the VIP dropped by the
// anti-spoofing table, then reached through an allowed address pair and with port security
// off; the same fixes typed by hand with `lablb neutron` on a lab brought up with `up`. And
// LBaaS v1 next to v2 (seed 000, scenarios/lbaas-v1-v2.yaml).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import t from 'tap';
import { join } from 'node:path';
import { lablb, ROOT, type Check } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'haproxy', 'curl');

function summaryOf(out: string): { events: { type: string; [k: string]: unknown }[]; checks: Record<string, Check> } {
  const events = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = events.at(-1);
  return { events, checks: Object.fromEntries(summary.checks.map((c: Check) => [c.name, c])) };
}

t.test('run keepalived-vip: each symptom and each fix of seed 003 on real traffic; host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'keepalived-vip', '--json');
  t.equal(r.code, 0, r.err);
  const { events, checks } = summaryOf(r.out);
  for (const c of Object.values(checks)) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.equal(Object.keys(checks).length, 9, 'every step reported');
  t.match(checks['split-brain'].detail, /keepalived01\/vrrp VI_1 MASTER .*keepalived02\/vrrp VI_1 MASTER .*held by keepalived01, keepalived02/);
  t.match(
    checks['split-brain'].detail,
    /keepalived02\/eth0 dropped at least 3 packets \(ingress, no security group rule \(tables 81\/82\)\) after/,
    'the cause: the group dropped the adverts',
  );
  t.match(checks['vip-unreachable-anti-spoofing'].detail, /^0\/10 ok, 10 failed as expected/);
  t.ok(checks['arp-replies-dropped-in-table-24'].ok, "and table 24 dropped keepalived01's ARP replies meanwhile");
  t.match(checks['vip-moves-to-02-unreachable'].detail, /keepalived02\/eth0 dropped a packet \(ARP from an address it was not given \(table 24\)\)/);
  t.match(checks['port-update-allowed-address-pairs-01'].detail, /all from keepalived01/);
  t.match(checks['vip-moves-to-02-unreachable'].detail, /0\/10 ok, 10 failed as expected/);
  t.match(checks['port-update-port-security-disabled-02'].detail, /all from keepalived02/);
  const changes = events.filter((e) => e.type === 'security').map((e) => `${e.port}: ${e.state}`);
  t.ok(changes.includes('keepalived01/eth0: port security on, groups web, allowed address pairs 172.16.200.251'), changes.join('\n'));
  t.ok(changes.includes('keepalived02/eth0: port security off'), "the screen's events tell each port change");
  const added = events.flatMap((e) => (e.type === 'security-group' && e.group === 'web' ? (e.added as string[]) : []));
  t.same(added.sort(), ['egress vrrp', 'ingress vrrp'], 'and each rule the steps created in the group');
  t.same(await settledHostState(before), before, 'host as found');
});

t.test("the article's fixes typed by hand on a running lab: neutron security-group-rule-create, port-update", { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'keepalived-vip').code, 0);
  t.teardown(() => void lablb('down', 'keepalived-vip'));
  const curl = () => lablb('exec', 'client', '--', 'curl', '-s', '-m', '1', 'http://172.16.200.251/').out.trim();
  const masters = () => ['keepalived01', 'keepalived02'].filter((n) => /172\.16\.200\.251\//.test(lablb('exec', n, '--', 'ip', '-4', 'addr').out));
  const until = async (what: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !what()) await new Promise((r) => setTimeout(r, 200));
    return what();
  };
  t.ok(await until(() => masters().length === 2, 20_000), 'split brain: both hold the VIP');

  // As the blog prints it: an em dash for "--".
  const rule = lablb('shell', 'keepalived-vip', '--', 'neutron', 'security-group-rule-create', '\u2014protocol', '112', '--direction', 'ingress', 'web');
  t.equal(rule.code, 0, rule.err);
  t.match(rule.out, /Created a new security_group_rule: web-5 in web \(ingress vrrp\)/);
  t.ok(await until(() => masters().length === 1, 10_000), `one MASTER once VRRP is allowed in (now ${masters().join(', ')})`);
  t.match(
    lablb('neutron', 'security-group-rule-list').out,
    /^id +security_group +rule\nweb-1 +web +egress any\n(.*\n)*web-5 +web +ingress vrrp\n$/,
    'the rule is listed',
  );
  t.equal(curl(), '', 'the VIP does not answer: its ARP replies are spoofed to table 24');
  const flows = lablb('shell', 'keepalived-vip', '--', 'ovs-ofctl', 'dump-flows', 'br-int', 'table=24').out;
  t.match(flows, /table=24, n_packets=[1-9]\d*, .*priority=1,arp,in_port=\d+ actions=drop/, 'the drop flow counted them');

  const refused = lablb('neutron', 'port-update', 'keepalived01/eth0', '--port_security_enabled=False');
  t.equal(refused.code, 2, 'refused as bad input');
  t.match(refused.err, /has security group associated\. Cannot disable port security/);

  const master = masters()[0];
  const pair = lablb('neutron', 'port-update', master, '--allowed-address-pairs', 'type=dict', 'list=true', 'ip_address=172.16.200.251');
  t.equal(pair.code, 0, pair.err);
  t.ok(await until(() => curl() === master, 10_000), `the VIP answers from ${master} once it is an allowed address pair`);
  t.match(lablb('neutron', 'port-show', master).out, /allowed address pairs 172\.16\.200\.251/);
  t.match(
    lablb('neutron', 'port-list').out,
    new RegExp(
      `^port +fixed_ip +security\n(.*\n)*${master}/eth0 +172\\.16\\.200\\.\\d+ +port security on, groups web, allowed address pairs 172\\.16\\.200\\.251\n`,
    ),
  );

  const injected = lablb('neutron', 'port-update', master, '--allowed-address-pairs', 'ip_address=10.0.0.1\ntable=0');
  t.equal(injected.code, 2, 'a value that could carry a flow is refused');
  t.match(injected.err, /ip_address .* is not an IPv4 address/);

  // Seed 004's trigger: the MASTER's port admin state down. The OVS agent's dead VLAN: its link
  // stays up (no FAULT), its adverts reach nobody, so the other takes the VIP too.
  const down = lablb('neutron', 'port-update', master, '--admin-state-up', 'False');
  t.equal(down.code, 0, down.err);
  t.match(down.out, new RegExp(`Updated port: ${master}/eth0 \\(.*; admin_state_up False \\(dead VLAN 4095\\)\\)`));
  t.ok(await until(() => masters().length === 2, 15_000), `the other became MASTER once ${master}'s port was down (${masters().join(', ')})`);
  t.match(lablb('exec', 'ovs', '--', 'ovs-vsctl', 'find', 'port', 'tag=4095').out, /name +: /, 'a bridge port on the dead VLAN');
  const up = lablb('neutron', 'port-update', master, '--admin_state_up=True');
  t.equal(up.code, 0, up.err);
  t.notMatch(lablb('neutron', 'port-show', master).out, /admin_state_up False/);
  t.ok(await until(() => masters().length === 1, 15_000), `one MASTER again once the port is up (${masters().join(', ')})`);
  // Down again, and left down: teardown puts it back (journaled), the host is as found.
  t.equal(lablb('neutron', 'port-update', master, '--admin-state-up', 'False').code, 0);
  t.equal(lablb('down', 'keepalived-vip').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('run lbaas-v1-v2: v1 needs two VIPs where v2 carries two listeners on one; monitors mark a dead member DOWN in each', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'lbaas-v1-v2', '--json');
  t.equal(r.code, 0, r.err);
  const { checks } = summaryOf(r.out);
  for (const c of Object.values(checks)) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.match(
    checks['v1-two-vips-v2-one'].detail,
    /10\.0\.0\.100 held by qlbaas-v1-http only .*10\.0\.0\.101 held by qlbaas-v1-alt only .*10\.0\.0\.200 held by qlbaas-v2 only/,
  );
  // Each generation's monitor within its own timers: fall x inter plus the check's timeout.
  t.match(
    checks['web2-http-dies'].detail,
    /web2 on qlbaas-v1-http\/lb DOWN after \d+ ms \(\d+% of its bound 12000 ms, haproxy: fall 3 x inter 3 s \+ timeout check 3 s\); haproxy saw member v2-web2-80 on qlbaas-v2\/lb DOWN after \d+ ms \(\d+% of its bound 20000 ms/,
  );
  t.match(checks['v2-8080-keeps-web2'].detail, /alternating web1:8080\/web2:8080/, "the other listener's pool keeps the member");
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('lbaas-v1-v2 as each generation lays it out: v1 a namespace and a haproxy per VIP, v2 one for both listeners', { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'lbaas-v1-v2').code, 0);
  t.teardown(() => void lablb('down', 'lbaas-v1-v2'));
  const namespaces = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .stdout.split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith('qlbaas-'));
  t.same(namespaces.sort(), ['qlbaas-v1-alt', 'qlbaas-v1-http', 'qlbaas-v2'], 'two namespaces for v1, one for v2');
  const haproxies = (ns: string) =>
    spawnSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean)
      .filter((pid) => readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'haproxy').length;
  const listening = (ns: string) =>
    lablb('exec', ns, '--', 'ss', '-Hltn')
      .out.split('\n')
      .map((l) => l.trim().split(/\s+/)[3])
      .filter(Boolean)
      .sort();
  t.same(['qlbaas-v1-http', 'qlbaas-v1-alt', 'qlbaas-v2'].map(haproxies), [1, 1, 1], 'one haproxy in each namespace');
  t.same(listening('qlbaas-v1-http'), ['10.0.0.100:80'], 'v1: one VIP, one port');
  t.same(listening('qlbaas-v1-alt'), ['10.0.0.101:8080'], 'v1: the second port is a second VIP');
  t.same(listening('qlbaas-v2'), ['10.0.0.200:80', '10.0.0.200:8080'], 'v2: one VIP, both listeners, one haproxy');
  t.equal(lablb('down', 'lbaas-v1-v2').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('a rule deleted and created again, a signal to one service of two: for real', { skip: realHostSkip(t) }, async (t) => {
  const before = hostState();
  const r = lablb('run', join(ROOT, 'test', 'fixtures', 'rule-delete-and-signal.yaml'), '--json');
  t.equal(r.code, 0, r.err);
  const checks = JSON.parse(r.out.trim().split('\n').at(-1)!).checks as { name: string; ok: boolean; detail: string }[];
  t.same(
    checks.map((c) => c.name),
    ['both-served', 'tcp-rule-deleted', 'tcp-rule-created', 'sighup-reaches-web-only', 'alt-still-served', 'web-started-again'],
  );
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.match(checks[1].detail, /^server\/eth0 dropped at least 3 packets \(ingress/, "the deleted rule's traffic meets the ingress drop flow");
  t.match(checks[3].detail, /alt: 0 of \d+ failed/, 'the other service on the node was not signalled');
  t.same(await settledHostState(before), before, 'host as found');
});
