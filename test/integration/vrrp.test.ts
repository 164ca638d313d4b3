// VRRP failover as a scenario, for real: test/fixtures/vrrp-pair.yaml takes the MASTER's link
// down, waits until the BACKUP is MASTER and holds the VIP, and measures the outage a prober
// saw; then brings the link up again. The keepalived observer's typed events are checked too.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived');
const PAIR = join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml');

t.test('run vrrp-pair: the failover is measured, then the host is as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', PAIR, '--json');
  t.equal(r.code, 0, r.err);
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = events.at(-1);
  t.equal(summary.type, 'summary');
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const checks = Object.fromEntries(summary.checks.map((c: { name: string }) => [c.name, c]));
  t.same(Object.keys(checks), [
    'one-master',
    'served-by-lb1',
    'client-pings-the-vip',
    'lb1-holds-the-vip',
    'nobody-answers-on-99',
    'master-link-down-failover',
    'master-link-up',
  ]);
  // exec steps ran in the nodes for real: ICMP answered by the VIP, unanswered elsewhere.
  t.match(checks['client-pings-the-vip'].detail, /^client: ping -c 2 -W 1 10\.1\.0\.100 -> exit 0 /);
  t.match(checks['nobody-answers-on-99'].detail, /^client: ping -c 1 -W 1 10\.1\.0\.99 -> exit 1/);

  const failover = checks['master-link-down-failover'];
  // advert_int 1, priority 90: the BACKUP takes over after about 3 missed adverts, within
  // VRRPv2's master-down interval (the step fails beyond it); the client sees no answer
  // meanwhile, for no longer than that plus a probe's timeout.
  t.equal(failover.master_bound_ms, 3648, '3 x 1 s + (256 - 90) / 256 s');
  t.ok(failover.master_ms >= 1000, `lb2 MASTER after ${failover.master_ms} ms, not before adverts were missed`);
  t.ok(failover.outage_ms >= 500 && failover.outage_ms <= failover.master_bound_ms + 1000, `outage ${failover.outage_ms} ms`);
  t.ok(failover.failed_requests > 0, `${failover.failed_requests} probes lost`);
  t.match(failover.detail, /then 10\/10 ok, all from lb2/);
  t.match(checks['master-link-up'].detail, /then 10\/10 ok, all from lb1/, 'lb1 preempts again');

  // The observers' typed events: the states keepalived logged, and the VIP moving.
  const vrrp = events.filter((e) => e.type === 'service' && e.event === 'vrrp').map((e) => `${e.node} ${e.state}`);
  t.ok(vrrp.includes('lb1 FAULT') && vrrp.includes('lb2 MASTER'), `VRRP: ${vrrp.join(', ')}`);
  const moves = events.filter((e) => e.type === 'address' && e.address === '10.1.0.100/24').map((e) => `${e.node} ${e.held ? '+' : '-'}`);
  t.ok(moves.includes('lb1 -') && moves.includes('lb2 +'), `the VIP moved: ${moves.join(', ')}`);
  const steps = events.filter((e) => e.type === 'step').map((e) => e.name);
  t.same(steps, Object.keys(checks), 'each step started is a typed event');

  t.same(await settledHostState(before), before, 'host as found');
});

t.test('a crash mid-experiment: clean reverts the link taken down, and removes the lab', { skip }, async (t) => {
  const before = hostState();
  // lablb killed (SIGKILL: no handler runs) once the link-down step has journaled its undo and
  // taken the link down: the moment a crash costs the most.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const run = spawn(process.execPath, [join(ROOT, 'bin', 'lablb.js'), 'run', PAIR, '--no-tui'], { env: { ...env, NO_COLOR: '1' }, stdio: 'ignore' });
  t.teardown(() => void lablb('down', 'vrrp-pair'));
  const journal = '/run/lablb/vrrp-pair/journal.jsonl';
  const linkDown = () => lablb('exec', 'lb1', '--', 'ip', '-o', 'link', 'show', 'eth0').out.includes('state DOWN');
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline && !(existsSync(journal) && readFileSync(journal, 'utf8').includes('"id":"link:lb1/eth0"') && linkDown()))
    await new Promise((r) => setTimeout(r, 50));
  t.ok(linkDown(), 'the step took the link down');
  run.kill('SIGKILL');
  await new Promise((r) => run.on('exit', r));
  t.ok(linkDown(), 'and nobody put it back');
  const down = lablb('down', 'vrrp-pair');
  t.equal(down.code, 0, down.err);
  t.match(down.out, /reverted: lb1\/eth0 up again/);
  t.same(await settledHostState(before), before, 'host as found');
});
