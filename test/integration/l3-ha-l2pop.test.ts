// Seed 002's L3 HA with l2pop, on four hosts (scenarios/l3-ha-l2pop.yaml): network1 dies and
// network2's keepalived takes over. Told to l2pop (Neutron's HA state change), compute1's
// entry for the gateway MAC moves to network2 and the floating IP answers again within the
// takeover; not told, the entry stays on the dead host and vm1's replies are lost: the stale
// tunnel. Real packets both ways; the host is left as found.
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'curl');

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  outage_ms?: number;
  recovered?: boolean;
  points_to?: string;
  took_over?: number;
}

const checksOf = (out: string) => JSON.parse(out.trim().split('\n').at(-1)!).checks as Check[];

t.test('told: the entry follows the new MASTER and the floating IP answers again', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'l3-ha-l2pop', '--json');
  t.equal(r.code, 0, r.err);
  const checks = checksOf(r.out);
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const died = checks.find((c) => c.name === 'network1-dies')!;
  t.equal(died.took_over, 1);
  t.equal(died.recovered, true);
  // The takeover bounds the outage: 3 x advert_int (2 s) plus the skew, and the probe's pace.
  t.ok(died.outage_ms! > 2000 && died.outage_ms! < 9000, `outage ${died.outage_ms} ms`);
  t.equal(checks.find((c) => c.name === 'gateway-mac-follows-the-master')?.points_to, 'network2');
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('not told: the stale tunnel, vm1 unreachable after the takeover', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'l3-ha-l2pop', '--set', 'l2pop_ha_notice=false', '--set', 'advert_int=1', '--json');
  t.equal(r.code, 1, 'the experiment fails, as Neutron did');
  const checks = checksOf(r.out);
  const by = (name: string) => checks.find((c) => c.name === name)!;
  t.ok(by('network1-is-master').ok, 'before: traffic through network1');
  const died = by('network1-dies');
  t.equal(died.took_over, 1, 'VRRP did its part: network2 is MASTER');
  t.equal(died.recovered, false, died.detail);
  t.equal(by('gateway-mac-follows-the-master').points_to, 'network1', "compute1 still sends the gateway's MAC to the dead host");
  t.notOk(by('traffic-through-network2').ok);
  t.same(await settledHostState(before), before, 'host as found');
});
