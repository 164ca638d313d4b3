// Neutron L3 HA for real (scenarios/l3-ha.yaml): two router namespaces, keepalived electing a
// MASTER over the HA network, the MASTER's node failing, nopreempt, and the SIGKILL trap; the
// failover's outage measured by both probes, next to the protocol's bound.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'iptables-restore');

t.test('run l3-ha: one MASTER, measured failovers, nopreempt, the SIGKILL trap, split brain; host as found', { skip }, async (t) => {
  const before = hostState();
  // With its report, which keeps the capture steps' pcaps beside it.
  const dir = mkdtempSync(join(tmpdir(), 'lablb-l3-ha-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const r = lablb('run', 'l3-ha', '--json', '--report', join(dir, 'l3-ha.html'));
  t.equal(r.code, 0, r.err);
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = events.at(-1);
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const checks = Object.fromEntries(summary.checks.map((c: { name: string }) => [c.name, c]));

  const failover = checks['master-node-failover'];
  // advert_int 2, priority 50, VRRPv2: the BACKUP declares the MASTER down after 3 x 2 s +
  // (256 - 50) / 256 s; the step itself fails beyond that (plus its tolerance).
  t.equal(failover.master_bound_ms, 6805);
  t.ok(failover.master_ms >= 4000, `net2 MASTER after ${failover.master_ms} ms, not before adverts were missed`);
  t.ok(failover.outage_ms > 1000 && failover.outage_ms <= failover.master_bound_ms + 2000, `floating IP outage ${failover.outage_ms} ms`);
  t.ok(failover.snat_outage_ms > 1000, `SNAT outage ${failover.snat_outage_ms} ms, measured by the second probe`);
  t.equal(checks['old-master-back-nopreempt'].failed_requests, 0, 'no second outage when the old MASTER returns');
  // The article's limitation 1, and why a client-driven stream survives it anyway.
  t.match(
    checks['server-push-stream-died'].detail,
    /^0\/10 ok, 10 failed as expected \(no data for over 1000 ms\)/,
    'the server-push stream died in the failover',
  );
  t.match(
    checks['client-driven-stream-survived'].detail,
    /^echo had 10 successes in a row after \d+ ms/,
    'the client-driven stream survived it, on the same connection',
  );
  t.equal(checks['through-snat'].failed, 0);

  // Split brain: the HA network cut beyond node 1, both MASTER; healed, one holder again, and
  // the check names the winner.
  t.match(
    checks['ha-network-split-brain'].detail,
    /qrouter-net1\/vrrp VR_1 MASTER .*qrouter-net2\/vrrp VR_1 MASTER .*10\.255\.253\.100 held by qrouter-net1, qrouter-net2/,
  );
  // Equal priorities: the higher HA address (node 2's, 169.254.192.2) wins when two MASTERs meet.
  t.match(checks['ha-network-healed'].detail, /^qrouter-net1\/vrrp VR_1 BACKUP after \d+ ms; 10\.255\.253\.100 held by qrouter-net2 only after/);
  t.match(checks['node-reconnected-one-master'].detail, /^qrouter-net1\/vrrp VR_1 BACKUP after \d+ ms; qrouter-net2\/vrrp VR_1 MASTER after/);
  t.equal(checks['node-disconnected-failover'].master_bound_ms, 6805, 'a node cut off at the switch is held to the same bound');

  // The captures, read back as the run ended: net1's adverts on the HA network until it died,
  // then net2's; and outside, the new MASTER's gratuitous ARP for the floating IP after it.
  const capture = (name: string) =>
    events.find((e) => e.type === 'capture' && e.name === name) as { packets: number; lines: { at_ms: number; text: string }[] };
  const adverts = capture('ha-adverts').lines.filter((l) => /VRRPv2, Advertisement/.test(l.text));
  const from = (ha: string) => adverts.filter((l) => l.text.includes(`: ${ha} > 224.0.0.18`)).map((l) => l.at_ms);
  const killed = events.find((e) => e.type === 'step' && e.name === 'master-node-failover').at_ms;
  t.ok(
    from('169.254.192.1').some((at) => at < killed),
    "net1's adverts before its node died",
  );
  t.ok(
    from('169.254.192.2').some((at) => at > killed),
    "net2's after, as the new MASTER",
  );
  const garps = capture('ext-garps').lines.filter((l) => /who-has 10\.255\.253\.100 (\(ff:ff:ff:ff:ff:ff\) )?tell 10\.255\.253\.100,/.test(l.text));
  t.ok(
    garps.some((l) => l.at_ms > killed),
    `a gratuitous ARP for the floating IP after the failover (${garps.length} in all)`,
  );
  // The pcaps, kept beside the report, read back by tcpdump: every packet the event counted.
  for (const name of ['ha-adverts', 'ext-garps']) {
    const pcap = join(dir, `l3-ha.${name}.pcap`);
    t.ok(existsSync(pcap), `${name} kept beside the report`);
    const read = execFileSync('tcpdump', ['-r', pcap, '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    t.equal(read.trim().split('\n').length, capture(name).packets, `${name}: tcpdump -r reads every packet`);
  }
  t.match(
    execFileSync('tcpdump', ['-r', join(dir, 'l3-ha.ha-adverts.pcap'), '-n'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }),
    /169\.254\.192\.2 > 224\.0\.0\.18: VRRPv2, Advertisement/,
  );
  t.ok(existsSync(join(dir, 'l3-ha.html')));

  // From the first loss on: every observer runs from the start, so the first election (net1
  // taking the floating IP, seen during the warm-up or just after it) is an event too.
  const all = events.filter((e) => e.type === 'address' && e.address === '10.255.253.100/32').map((e) => `${e.node}${e.held ? '+' : '-'}`);
  const moves = all.slice(all.findIndex((m) => m.endsWith('-')));
  t.same(moves.slice(0, 2).sort(), ['qrouter-net1-', 'qrouter-net2+'], `the floating IP moved: ${moves.join(' ')}`);
  t.equal(moves.at(-1), 'qrouter-net1+', `and last reached net1 beside the killed net2 (two holders): ${moves.join(' ')}`);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('the state files agree with who holds the router; the BACKUP holds none of it', { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'l3-ha').code, 0);
  t.teardown(() => void lablb('down', 'l3-ha'));
  const state = (node: string) => lablb('shell', 'l3-ha', '--', 'ip', 'netns', 'exec', node, 'cat', `/run/lablb/l3-ha/nodes/${node}/VR_1.state`).out.trim();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && state('qrouter-net1') !== 'master') await new Promise((r) => setTimeout(r, 250));
  t.equal(state('qrouter-net1'), 'master', "node 1's agent claimed the router first");
  t.equal(state('qrouter-net2'), 'backup');
  const addrs = (node: string) => lablb('exec', node, '--', 'ip', '-4', '-o', 'addr').out;
  const routes = (node: string) => lablb('exec', node, '--', 'ip', '-4', 'route').out;
  // The router's addresses: gateway (qr), external (qg), floating IP, and the HA VIP.
  const routerAddresses = ['10.0.0.1/24', '10.255.253.10/24', '10.255.253.100/32', '169.254.0.1/24'];
  for (const a of routerAddresses) {
    t.match(addrs('qrouter-net1'), new RegExp(` ${a.replace(/\./g, '\\.')} `), `the MASTER holds ${a}`);
    t.notMatch(addrs('qrouter-net2'), new RegExp(` ${a.replace(/\./g, '\\.')} `), `the BACKUP does not hold ${a}`);
  }
  t.match(routes('qrouter-net1'), /^default via 10\.255\.253\.1 dev qg-n1/m, 'the MASTER has the virtual route');
  t.equal(routes('qrouter-net2').trim(), '169.254.192.0/18 dev ha-n2 proto kernel scope link src 169.254.192.2', 'the BACKUP has only its HA network');
  // seed 002: notify_master started the metadata proxy; the BACKUP's notify started none.
  const listens9697 = (node: string) => / 0\.0\.0\.0:9697 /.test(lablb('exec', node, '--', 'ss', '-ltnH').out);
  t.ok(listens9697('qrouter-net1'), "the MASTER's metadata proxy listens on 9697");
  t.notOk(listens9697('qrouter-net2'), 'the BACKUP runs no metadata proxy');
  t.equal(lablb('down', 'l3-ha').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test(
  "conntrackd syncs: a connection through the MASTER is in the BACKUP's external cache before any failover",
  { skip: realHostSkip(t, 'keepalived', 'conntrackd') },
  async (t) => {
    const before = hostState();
    t.equal(lablb('up', 'l3-ha-conntrackd').code, 0);
    t.teardown(() => void lablb('down', 'l3-ha-conntrackd'));
    const conf = (node: string) => `/run/lablb/l3-ha-conntrackd/nodes/${node}/sync.conf`;
    const cache = (node: string, which: '-i' | '-e') => lablb('exec', node, '--', 'conntrackd', '-C', conf(node), which).out;
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !/10\.255\.253\.100\/32/.test(lablb('exec', 'qrouter-net1', '--', 'ip', '-4', '-o', 'addr').out))
      await new Promise((r) => setTimeout(r, 250));
    // A connection from vm2 out through SNAT to the outside stream server, held open 6 s.
    const { spawn } = await import('node:child_process');
    const { join } = await import('node:path');
    const { ROOT } = await import('../helpers.js');
    const conn = spawn(process.execPath, [join(ROOT, 'bin', 'lablb.js'), 'exec', 'vm2', '--', 'bash', '-c', 'exec 3<>/dev/tcp/10.255.253.1/9000; sleep 6'], {
      stdio: 'ignore',
    });
    const synced = (text: string) => /src=10\.0\.0\.12 dst=10\.255\.253\.1 sport=\d+ dport=9000/.test(text);
    let internal = '';
    let external = '';
    const until = Date.now() + 5000;
    while (Date.now() < until && !(synced(internal) && synced(external))) {
      await new Promise((r) => setTimeout(r, 500));
      internal = cache('qrouter-net1', '-i');
      external = cache('qrouter-net2', '-e');
    }
    t.ok(synced(internal), `the MASTER tracks it: ${internal.trim().split('\n').slice(0, 3).join(' | ')}`);
    t.ok(synced(external), `the BACKUP received it over the HA network: ${external.trim().split('\n').slice(0, 3).join(' | ')}`);
    t.notOk(synced(cache('qrouter-net2', '-i')), "and keeps it aside: not in the BACKUP's own table until it commits");
    await new Promise((r) => conn.on('exit', r));
    t.equal(lablb('down', 'l3-ha-conntrackd').code, 0);
    t.same(await settledHostState(before), before, 'host as found');
  },
);

t.test(
  'run l3-ha-conntrackd: with the table synced, the server-push stream survives the failover',
  { skip: realHostSkip(t, 'keepalived', 'conntrackd') },
  async (t) => {
    const before = hostState();
    const r = lablb('run', 'l3-ha-conntrackd', '--json');
    t.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
    for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
    const survived = summary.checks.find((c: { name: string }) => c.name === 'server-push-stream-survived');
    t.match(survived.detail, /^push had 10 successes in a row after \d+ ms/, 'the same connection flows again after the failover');
    t.ok(summary.checks.find((c: { name: string }) => c.name === 'master-node-failover').push_outage_ms > 1000, 'it did stop during the failover');
    t.same(await settledHostState(before), before, 'host as found');
  },
);

t.test(
  "run l3-ha-gateway: only the MASTER's gateway port cut; the health check gives the router up within its bound, and nothing moves without it",
  { skip: realHostSkip(t, 'keepalived', 'ping') },
  async (t) => {
    const before = hostState();
    const run = (...sets: string[]) => {
      const r = lablb('run', 'l3-ha-gateway', '--json', ...sets);
      return { code: r.code, checks: Object.fromEntries(JSON.parse(r.out.trim().split('\n').at(-1)!).checks.map((c: { name: string }) => [c.name, c])) };
    };
    const on = run();
    t.equal(on.code, 0);
    const cut = on.checks['gateway-port-cut-master-gives-up'];
    t.ok(cut.ok, cut.detail);
    // Two failed pings 2 s apart (each up to 1 s), then the priority-0 advert and the skew.
    t.equal(cut.fault_bound_ms, 5000);
    t.ok(cut.fault_ms >= 2000 && cut.fault_ms <= 5500, `node 1 FAULT after ${cut.fault_ms} ms: at least one interval, two failed checks at most`);
    t.ok(cut.master_ms - cut.fault_ms < 1500, `node 2 MASTER ${cut.master_ms - cut.fault_ms} ms after node 1 gave up: the skew, not a master-down interval`);
    t.ok(on.checks['gateway-port-back-backup'].ok, on.checks['gateway-port-back-backup'].detail);
    t.equal(on.checks['gateway-port-back-backup'].failed_requests, 0, 'nopreempt: no second outage');

    // Neutron's default: the MASTER still advertises, so VRRP sees nothing wrong.
    const off = run('--set', 'health_check_interval=0');
    t.not(off.code, 0);
    t.match(
      off.checks['gateway-port-cut-master-gives-up'].detail,
      /FAULT: not within 20000 ms \(now MASTER\).*held by qrouter-net2 only: not within 20000 ms \(now held by qrouter-net1\)/,
    );
    t.same(await settledHostState(before), before, 'host as found');
  },
);
