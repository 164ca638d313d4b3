// Seed 002's network node of many routers, at a size CI affords (scenarios/scale-routers.yaml):
// 40 routers are 121 ports, so the ports go in as OVSDB transactions; every floating IP must
// answer a real ping through its router's DNAT, and the host is left as found. The full sizes
// (100, 1000) are measured by `npm run bench:scale`.
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'ping', 'ovsdb-client');

t.test('run scale-routers with 40 routers: every floating IP answers; host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'scale-routers', '--set', 'routers=40', '--json');
  t.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
  const check = summary.checks.find((c: { name: string }) => c.name === 'every-floating-ip-answers');
  t.ok(check?.ok, check?.detail);
  t.equal(check?.answered, 40, 'one answer per router');
  t.equal(check?.silent, 0);
  // The l3 agents' DNAT rules counted the pings: the answers came through the routers.
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { type: string; when?: string; panels?: { title: string; lines: string[] }[] });
  const end = events.find((e) => e.type === 'facts' && e.when === 'end');
  const nat = end?.panels?.find((p) => p.title.startsWith('NAT rules'));
  t.match(nat?.lines[0], /^40 routers, 40 floating IPs$/, 'a summary, not 40 blocks of rows');
  t.match(nat?.lines[1], /^40 of 40 floating IPs have had traffic/);
  t.ok((nat?.lines.length ?? 99) < 20, `${nat?.lines.length} lines`);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('run scale-l3-ha with 5 routers: node 1 dies, each router takes over on node 2 within its master-down interval', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'scale-l3-ha', '--set', 'routers=5', '--json');
  t.equal(r.code, 0, r.err);
  const checks = JSON.parse(r.out.trim().split('\n').at(-1)!).checks as { name: string; ok: boolean; detail: string; [k: string]: unknown }[];
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const down = checks.find((c) => c.name === 'network-node-1-dies')!;
  t.equal(down.took_over, 5);
  t.equal(down.no_master, 0);
  t.equal(down.two_masters, 0);
  // 3 x advert_int (2 s) plus the skew, (256 - 50) / 256 s: 6805 ms, from the last advert heard.
  t.ok((down.max_ms as number) <= 6805 + 600, `the slowest takeover, ${down.max_ms} ms, within the master-down interval and a poll`);
  t.ok((down.p50_ms as number) >= 6805 - 2000 - 600, `the median, ${down.p50_ms} ms, no sooner than an advert interval before it`);
  t.same(await settledHostState(before), before, 'host as found');
});
