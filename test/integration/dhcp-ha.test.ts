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
  t.match(checks['vm1-gets-its-lease'].server, /^qdhcp-[12]$/, 'either agent answers with the same address');
  t.equal(checks['vm1-lease-from-agent-1'].server, 'qdhcp-1');
  t.equal(checks['vm1-renews-from-agent-2'].address, '10.0.0.11', 'the same address after its agent died');
  t.equal(checks['vm1-renews-from-agent-2'].server, 'qdhcp-2');
  t.type(checks['vm1-renews-from-agent-2'].lease_ms, 'number');
  t.equal(checks['new-vm2-lease-from-agent-2'].address, '10.0.0.12');
  t.same(await settledHostState(before), before, 'host as found');
});
