// The flagship lab for real, as root: real namespaces, OVS, haproxy, iptables and HTTP.
// Each test asserts the host is exactly as it found it afterwards.
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import t from 'tap';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'haproxy', 'iptables-restore');

t.test('run floating-ip-lb --json: every check holds, then the host is as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'floating-ip-lb', '--json');
  t.equal(r.code, 0, r.err);
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = events.at(-1);
  t.equal(summary.type, 'summary');
  t.equal(summary.scenario, 'floating-ip-lb');
  t.equal(summary.ok, true);
  const checks = Object.fromEntries(summary.checks.map((c: { name: string }) => [c.name, c]));
  t.same(Object.keys(checks), ['round-robin', 'kill-vm2-web', 'restart-vm2-web', 'lb-egress-snat', 'floating-ip-counters']);
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);

  t.equal(checks['round-robin'].failed, 0);
  t.equal(checks['round-robin'].requests, 20);
  // haproxy checks every 1 s and needs 3 failures: DOWN between ~2 and 6 s after the kill.
  t.ok(checks['kill-vm2-web'].detect_ms >= 1000 && checks['kill-vm2-web'].detect_ms <= 6000, `detect_ms ${checks['kill-vm2-web'].detect_ms}`);
  t.type(checks['kill-vm2-web'].failed_requests, 'number');
  t.ok(checks['restart-vm2-web'].recover_ms > 0);
  t.equal(checks['lb-egress-snat'].body, '10.255.253.100');
  t.ok(checks['floating-ip-counters'].dnat_packets >= 20, 'one DNAT per probe connection');
  t.ok(checks['floating-ip-counters'].snat_packets >= 1);
  // The facts the screen shows, in the JSON stream too: both members UP once the lab serves.
  const facts = (when: string) => events.find((e) => e.type === 'facts' && e.when === when)?.panels as { title: string; lines: string[] }[];
  t.match(facts('start')[0].lines.join('\n'), /vm1 +10\.0\.0\.81:80 +UP[^]*vm2 +10\.0\.0\.82:80 +UP/);
  t.match(
    facts('end')[1],
    { title: 'NAT rules (packets = new flows)', lines: [/qrouter01/, /^ +[1-9]\d* .*PREROUTING DNAT 10\.255\.253\.100->10\.0\.0\.100$/] },
    'NAT counters at the end',
  );
  // Members were seen going DOWN and back UP while it ran.
  const member = events.filter((e) => e.type === 'service' && e.event === 'member' && e.member === 'vm2').map((e) => e.status);
  t.ok(member.includes('DOWN') && member.includes('UP'), `vm2 went ${member.join(' -> ')}`);
  // haproxy's own lines, from its log ring, in the same stream.
  const said = events.filter((e) => e.type === 'service' && e.event === 'log' && e.source === 'qlbaas-01/lb').map((e) => String(e.message));
  t.ok(
    said.some((m) => /^Server 3b9d8ebd-\S+\/944ff4a0-4070-40e4-8189-20f385755113 is DOWN, reason: Layer4/.test(m)),
    'haproxy says the server is DOWN',
  );
  t.ok(
    said.some((m) => /^Server \S+\/944ff4a0-\S+ is UP/.test(m)),
    'and UP again',
  );

  t.same(await settledHostState(before), before, 'host as found');
  t.notOk(existsSync('/run/lablb/floating-ip-lb'));
});

t.test('up, exec, status, a second up, down', { skip }, async (t) => {
  const before = hostState();
  const up = lablb('up', 'floating-ip-lb');
  t.equal(up.code, 0, up.err);
  t.teardown(() => void lablb('down', 'floating-ip-lb'));

  const seen = new Set<string>();
  for (let i = 0; i < 4; i++) {
    const r = lablb('exec', 'ext', '--', 'curl', '-s', '-m', '3', 'http://10.255.253.100/');
    t.equal(r.code, 0, r.err);
    seen.add(r.out.trim());
  }
  t.same([...seen].sort(), ['server_81', 'server_82'], 'the floating IP reaches both servers');
  t.equal(lablb('exec', 'vm1', '--', 'curl', '-s', '-m', '3', 'http://10.255.253.1:8080/').out.trim(), '10.255.253.10', 'a VM leaves by default SNAT');
  t.match(
    lablb('exec', 'qrouter01', '--', 'iptables', '-t', 'nat', '-S').out,
    /-A neutron-l3-agent-float-snat -s 10.0.0.100\/32 -j SNAT --to-source 10.255.253.100/,
  );
  t.match(lablb('exec', 'ovs', '--', 'ovs-vsctl', 'list-br').out, /^br-ex\nbr-int\n$/);
  t.equal(lablb('exec', 'ext', '--', 'false').code, 1, 'exec passes the exit code through');
  const bad = lablb('exec', 'vm9', '--', 'true');
  t.equal(bad.code, 2);
  t.match(bad.err, /^lablb: no node named vm9 in any lab on this host\n  nodes: vm1, vm2, qlbaas-01, qrouter01, ext, ovs\n$/);

  const st = JSON.parse(lablb('status', '--json').out);
  t.equal(st.labs.length, 1);
  t.equal(st.labs[0].state, 'up');
  t.same(st.labs[0].namespaces, ['lablb-floating-ip-lb', 'vm1', 'vm2', 'qlbaas-01', 'qrouter01', 'ext']);
  t.equal(st.labs[0].processes.length, 6, 'ovsdb-server, ovs-vswitchd, 3 web servers, haproxy');

  const again = lablb('up', 'floating-ip-lb');
  t.equal(again.code, 2);
  t.equal(
    again.err,
    'lablb: lab floating-ip-lb is already up (or left over from a crash)\n  see it with: sudo lablb status floating-ip-lb; remove it with: sudo lablb down floating-ip-lb\n',
  );

  const down = lablb('down', 'floating-ip-lb');
  t.equal(down.code, 0, down.err);
  t.same(await settledHostState(before), before, 'host as found');
  t.equal(lablb('down', 'floating-ip-lb').code, 0, 'down again: nothing to do');
  t.match(lablb('status').out, /^No labs on this host\.\n$/);
});

t.test('up refuses a namespace it did not create, and leaves it alone', { skip }, async (t) => {
  execFileSync('ip', ['netns', 'add', 'qrouter01']);
  t.teardown(() => spawnSync('ip', ['netns', 'del', 'qrouter01']));
  const before = hostState();
  const r = lablb('up', 'floating-ip-lb');
  t.equal(r.code, 2);
  t.equal(
    r.err,
    "lablb: namespace qrouter01 already exists and is not part of lab floating-ip-lb; lablb leaves it alone\n  remove it yourself if stale (sudo ip netns del qrouter01), or rename the scenario's nodes\n",
  );
  t.same(hostState(), before, 'nothing created, the foreign namespace still there');
  t.ok(existsSync('/run/netns/qrouter01'));
  t.notOk(existsSync('/run/lablb/floating-ip-lb'));
});

t.test("in `lablb shell`, the article's section 8 commands work as typed", { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'floating-ip-lb').code, 0);
  t.teardown(() => void lablb('down', 'floating-ip-lb'));
  // Typed into the interactive shell, one line each, as a person would.
  const typed = [
    'ovs-vsctl show',
    'ovs-ofctl dump-flows br-int',
    'ip link set dev eth3 up && ip link set dev br-ex up && echo links-up',
    'ip netns exec qlbaas-01 ip addr show tap04',
    'ip netns exec qlbaas-01 route -n',
    'ip netns exec qlbaas-01 arping -U -I tap04 -c 1 10.0.0.100; echo arping-exit=$?',
    'ip netns exec qlbaas-01 wget -qO- http://10.0.0.100',
    'ip netns exec qrouter01 iptables -t nat -S',
    'ip netns exec ext curl -s http://10.255.253.100/',
    'ip netns exec qlbaas-01 arp -n',
    'echo "OVS_RUNDIR=$OVS_RUNDIR"',
  ];
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lablb.js'), 'shell', 'floating-ip-lb'], {
    input: `${typed.join('\n')}\n`,
    encoding: 'utf8',
    env,
    timeout: 60_000,
  });
  t.equal(r.status, 0, r.stderr);
  const out = r.stdout;
  t.match(out, /Bridge br-int[\s\S]*Port tap04\s+tag: 1\s+Interface tap04\s+type: internal/, 'ovs-vsctl show: tap04 on br-int, tag 1');
  t.match(out, /Bridge br-ex[\s\S]*Port eth3\b/, 'eth3 plugged into br-ex, as the article plugs it');
  t.match(out, /priority=0 actions=NORMAL/, 'ovs-ofctl dump-flows br-int');
  t.match(out, /links-up/);
  t.match(out, /inet 10\.0\.0\.100\/24 brd 10\.0\.0\.255 scope global tap04/);
  t.match(out, /link\/ether fa:16:3e:f4:8f:ae/);
  t.match(out, /0\.0\.0\.0\s+10\.0\.0\.1\s+0\.0\.0\.0\s+UG/, 'route -n: the default gateway 10.0.0.1');
  t.match(out, /Sent 1 probes \(1 broadcast\(s\)\)\s+Received 0 response\(s\)\s+arping-exit=0/, 'arping -U -I as the article types it');
  t.match(out, /server_8[12]\n/, 'wget through the VIP');
  t.match(out, /-A neutron-l3-agent-PREROUTING -d 10\.255\.253\.100\/32 -j DNAT --to-destination 10\.0\.0\.100/);
  t.match(out, /10\.0\.0\.8[12]\s+ether\s+[0-9a-f:]{17}\s+C\s+tap04/, 'arp -n: the members learned');
  t.match(out, /OVS_RUNDIR=\/run\/lablb\/floating-ip-lb\/ovs/);
  t.match(r.stderr, /\[lablb floating-ip-lb\] /, 'the prompt names the lab');
  const one = lablb('shell', 'floating-ip-lb', '--', 'ovs-vsctl', 'list-br');
  t.equal(one.out, 'br-ex\nbr-int\n', 'shell -- CMD runs just that');
  t.equal(lablb('shell', 'floating-ip-lb', '--', 'false').code, 1, 'and passes its exit code through');
  t.equal(lablb('down', 'floating-ip-lb').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});
