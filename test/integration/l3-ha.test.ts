// Neutron L3 HA for real (scenarios/l3-ha.yaml): two router namespaces, keepalived electing a
// MASTER over the HA network, the MASTER's node failing, nopreempt, and the SIGKILL trap; the
// failover's outage measured by both probes, next to the protocol's bound.
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'iptables-restore');

t.test('run l3-ha: one MASTER, measured failovers, nopreempt, the SIGKILL trap, split brain; host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'l3-ha', '--json');
  t.equal(r.code, 0, r.err);
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = events.at(-1);
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const checks = Object.fromEntries(summary.checks.map((c: { name: string }) => [c.name, c]));

  const failover = checks['master-node-failover'];
  // advert_int 2, priority 90: the BACKUP declares the MASTER down after 3 x 2 s + skew.
  t.equal(failover.bound_ms, 7297);
  t.ok(failover.master_ms >= 4000 && failover.master_ms <= failover.bound_ms + 1500, `net2 MASTER after ${failover.master_ms} ms (bound ${failover.bound_ms})`);
  t.ok(failover.outage_ms > 1000 && failover.outage_ms <= failover.bound_ms + 2000, `floating IP outage ${failover.outage_ms} ms`);
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
  t.match(checks['ha-network-healed'].detail, /^10\.255\.253\.100 held by qrouter-net[12] after \d+ ms/);
  t.ok(
    checks['node-disconnected-failover'].master_ms <= checks['node-disconnected-failover'].bound_ms + 1500,
    'a node cut off at the switch fails over within the bound too',
  );

  // From the first loss on: every observer runs from the start, so the first election (net1
  // taking the floating IP, seen during the warm-up or just after it) is an event too.
  const all = events.filter((e) => e.type === 'address' && e.address === '10.255.253.100/32').map((e) => `${e.node}${e.held ? '+' : '-'}`);
  const moves = all.slice(all.findIndex((m) => m.endsWith('-')));
  t.same(moves.slice(0, 2).sort(), ['qrouter-net1-', 'qrouter-net2+'], `the floating IP moved: ${moves.join(' ')}`);
  t.ok(moves.includes('qrouter-net2+'), 'and reached net2 beside the killed net1 (two holders)');
  t.same(await settledHostState(before), before, 'host as found');
});

t.test("the notify script writes each router's state, as seed 002's notify_master does", { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'l3-ha').code, 0);
  t.teardown(() => void lablb('down', 'l3-ha'));
  const state = (node: string) => lablb('shell', 'l3-ha', '--', 'ip', 'netns', 'exec', node, 'cat', `/run/lablb/l3-ha/nodes/${node}/VR_1.state`).out.trim();
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline && state('qrouter-net1') !== 'master') await new Promise((r) => setTimeout(r, 250));
  t.equal(state('qrouter-net1'), 'master');
  t.equal(state('qrouter-net2'), 'backup');
  t.match(lablb('exec', 'qrouter-net1', '--', 'ip', 'route').out, /^default via 10\.255\.253\.1 dev qg-n1/m, 'the MASTER has the virtual route');
  t.notMatch(lablb('exec', 'qrouter-net2', '--', 'ip', '-4', 'addr').out, /10\.0\.0\.1\//, 'the BACKUP holds no gateway address');
  t.equal(lablb('down', 'l3-ha').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});

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
