// Seed 002's dead network node, three answers side by side (scenarios/network-node-dies.yaml)
// at a size CI affords: 2 legacy, 2 HA and 2 DVR routers, agent_down_time 4 s. network1 dies;
// the DVR routers' floating IPs (on compute1) never miss a reply; the HA routers' answer again
// from network2 after keepalived's takeover, the legacy routers' only after the scheduler saw
// the agent dead and built them again on network2 (with the DVR routers' SNAT parts), in that
// order; every floating IP answers at the end. A TCP session to each floating IP, from a user
// beyond the gateway to an echo server in the VM, lives through all three answers and comes
// back no sooner than its floating IP answers a ping. Real pings and sessions; the host is left
// as found.
import t from 'tap';
import { lablb, type Check } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'ping');

t.test('run network-node-dies with 2 routers of each kind: DVR never affected, HA back first, legacy after the scheduler', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'network-node-dies', '--set', 'routers=2', '--set', 'agent_down_time_s=4', '--json');
  t.equal(r.code, 0, r.err);
  const checks = JSON.parse(r.out.trim().split('\n').at(-1)!).checks as Check[];
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const ha = checks.find((c) => c.name === 'network1-dies')!;
  const legacy = checks.find((c) => c.name === 'legacy-routers-rescheduled')!;
  t.equal(ha.fips_answered, 2);
  t.equal(ha.fips_elsewhere, 2, "the DVR routers' floating IPs were watched");
  t.equal(ha.fips_elsewhere_unaffected, 2, `and never missed a reply (${ha.fips_elsewhere_lost} lost)`);
  t.equal(legacy.rescheduled, 4, "two legacy routers and two DVR routers' SNAT parts");
  t.equal(legacy.fips, 2);
  t.equal(legacy.answered, 2);
  // Checks every 2 s, dead after 8 s: the fifth check, 10 s after the death.
  t.equal(legacy.reschedule_after_ms, 10_000);
  t.ok((legacy.p50_ms as number) >= 10_000, `a legacy router answers only after the scheduler moved it (${legacy.p50_ms} ms)`);
  t.ok((ha.fip_max_ms as number) < (legacy.p50_ms as number), `HA (${ha.fip_max_ms} ms) before legacy (${legacy.p50_ms} ms)`);
  t.equal(checks.find((c) => c.name === 'every-floating-ip-answers-after')?.answered, 6);
  // The sessions: none lost; each answer's back when its pings are, or later (TCP's retries).
  t.same(
    [ha.sessions, ha.sessions_lost, ha.sessions_elsewhere, ha.sessions_elsewhere_unaffected],
    [2, 0, 2, 2],
    'HA sessions back, DVR sessions never stalled',
  );
  t.same([legacy.sessions, legacy.sessions_lost], [2, 0], 'legacy sessions back after the rebuild');
  t.ok((ha.session_back_p50_ms as number) > 0, `an HA session stalled until the takeover (${ha.session_back_p50_ms} ms)`);
  t.ok(
    (legacy.session_back_max_ms as number) >= (legacy.p50_ms as number),
    `a legacy session flows again (${legacy.session_back_max_ms} ms) no sooner than its floating IP answers (${legacy.p50_ms} ms)`,
  );
  const table = r.out.trim().split('\n').at(-1)!;
  t.match(table, /"sessions":\{"of":2,"lost":0/, "--json carries each row's sessions");
  t.same(await settledHostState(before), before, 'host as found');
});
