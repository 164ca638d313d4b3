// Seed 002's DHCP detour for real (scenarios/dhcp-ha.yaml): two dnsmasq agents with the same
// bindings; a real dhclient gets its lease, one agent dies, the VM renews from the other and a
// new VM gets its lease there too.
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'dnsmasq', 'dhclient');

t.test('run dhcp-ha: leases go on when one DHCP agent dies; host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'dhcp-ha', '--json');
  t.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const checks = Object.fromEntries(summary.checks.map((c: { name: string }) => [c.name, c]));
  t.equal(checks['vm1-lease-from-agent-1'].server, 'qdhcp-1');
  t.equal(checks['vm1-renews-from-agent-2'].address, '10.0.0.11', 'the same address after its agent died');
  t.equal(checks['vm1-renews-from-agent-2'].server, 'qdhcp-2');
  t.equal(checks['vm1-renews-from-agent-2'].router, '10.0.0.1', "the subnet's gateway from the opts file, not the agent's own address");
  t.type(checks['vm1-renews-from-agent-2'].lease_ms, 'number');
  t.equal(checks['new-vm2-lease-from-agent-2'].address, '10.0.0.12');
  t.same(await settledHostState(before), before, 'host as found');
});

t.test("Juno's agent against Kilo's: the renewal gap is the survivor not knowing the lease", { skip }, async (t) => {
  const gap = (initialLeases: boolean) => {
    const r = lablb('run', 'dhcp-ha', '--json', '--set', `initial_leases=${initialLeases}`);
    t.equal(r.code, 0, r.err);
    const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
    for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
    return summary.checks.find((c: { name: string }) => c.name === 'vm1-renews-from-agent-2').lease_ms as number;
  };
  const before = hostState();
  const juno = gap(false);
  const kilo = gap(true);
  t.comment(`vm1's lease after its agent died: ${juno} ms without initial leases, ${kilo} ms with them`);
  t.ok(juno > 5000, `Juno: agent 2 ignores the lease it never gave until dhclient starts over (${juno} ms)`);
  t.ok(kilo < 2000, `Kilo: agent 2 knows the lease from its lease file and answers at once (${kilo} ms)`);
  t.same(await settledHostState(before), before, 'host as found');
});
