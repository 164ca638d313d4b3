// A living lab for real (test/fixtures/living-lab.yaml): a node joins the running lab, is
// reached and joins the load balancer's pool; another leaves and haproxy marks it DOWN; then
// kill -9 at several moments of the join, and `clean` leaves the host as found.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import t from 'tap';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'haproxy', 'iptables-restore', 'curl');
const LIVING = join(ROOT, 'test', 'fixtures', 'living-lab.yaml');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k))), NO_COLOR: '1' };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('run living-lab: vm3 joins, is reached and serves in the pool; vm2 leaves and is marked DOWN; the host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', LIVING, '--json');
  t.equal(r.code, 0, r.err);
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  const summary = events.at(-1);
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const checks = Object.fromEntries(summary.checks.map((c: { name: string }) => [c.name, c]));
  t.match(checks['add-vm3'].detail, /^vm3 joined \(eth0 10\.0\.0\.83; web running\)/);
  t.equal(checks['add-vm3'].failed_requests, 0, 'the lab served on while vm3 joined');
  t.equal(checks['vm3-serves-on-the-tenant-net'].body, 'server_83', 'its web server answers on br-int');
  t.equal(checks['vm3-leaves-through-snat'].body, '10.255.253.10', "its route and the router's SNAT");
  t.equal(checks['vm3-asks-its-hostname'].body, 'vm3', "the router's REDIRECT to the metadata proxy, which knows vm3 by its address");
  t.ok(
    events.some(
      (e) => e.type === 'service' && e.kind === 'metadata-proxy' && e.text === 'qrouter01/metadata: vm3 (10.0.0.83) GET /latest/meta-data/hostname 200',
    ),
    "the proxy's request told as its event",
  );
  t.match(
    checks['vm3-joins-the-pool'].detail,
    /haproxy saw vm3 on qlbaas-01\/lb UP after \d+ ms \(\d+% of its bound 7000 ms, [^)]*\);.*then 12\/12 ok, alternating server_81\/server_82\/server_83/,
    'haproxy reloaded with vm3 in the pool',
  );
  t.equal(checks['vm3-joins-the-pool'].failed_requests, 0, 'the reload lost no request');
  t.match(
    checks['remove-vm2'].detail,
    /haproxy saw vm2 on qlbaas-01\/lb DOWN after \d+ ms \(\d+% of its bound 8000 ms, [^)]*\);.*then 10\/10 ok, all from server_81\/server_83/,
  );
  t.match(checks['vm2-leaves-the-pool'].detail, /then 10\/10 ok, alternating server_81\/server_83/);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('kill -9 while a node joins, at several moments, then clean: the host as found', { skip }, async (t) => {
  const before = hostState();
  const caught: number[] = [];
  for (const delay of [0, 25, 50, 80, 120]) {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'lablb.js'), 'run', LIVING, '--json'], { env, stdio: ['ignore', 'pipe', 'ignore'] });
    const exited = new Promise((r) => child.once('exit', r));
    const joining = new Promise<boolean>((resolve) => {
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (l) => {
        if (/"type":"step","name":"add-vm3"/.test(l)) resolve(true);
      });
      lines.on('close', () => resolve(false));
    });
    t.ok(await joining, `the run reached add-vm3 (kill after ${delay} ms)`);
    await sleep(delay);
    child.kill('SIGKILL');
    await exited;
    const journal = '/run/lablb/living-lab/journal.jsonl';
    if (existsSync(journal) && readFileSync(journal, 'utf8').includes('"kind":"netns","name":"vm3"')) caught.push(delay);
    const clean = lablb('clean');
    t.equal(clean.code, 0, `clean after a kill ${delay} ms into the join: ${clean.err}`);
    t.same(await settledHostState(before), before, `host as found after a kill ${delay} ms into the join`);
    t.same(existsSync('/run/lablb') ? readdirSync('/run/lablb') : [], [], 'no state left');
  }
  // Not a test that cannot fail: the kills must land once vm3 is journaled, mid-join or after.
  t.ok(caught.length >= 2, `vm3 journaled when killed at ${caught.join(', ')} ms`);
});

t.test("a namespace of the host's named like a node a step adds: refused before anything, and left alone", { skip }, async (t) => {
  const before = hostState();
  execFileSync('ip', ['netns', 'add', 'vm3']);
  t.teardown(() => execFileSync('ip', ['netns', 'del', 'vm3']));
  const r = lablb('run', LIVING, '--no-tui');
  t.equal(r.code, 2);
  t.match(r.err, /^lablb: namespace vm3 already exists and is not part of lab living-lab; lablb leaves it alone/);
  t.ok(existsSync('/run/netns/vm3'), "the host's namespace is still there");
  t.same(existsSync('/run/lablb') ? readdirSync('/run/lablb') : [], [], 'no lab dir');
  const now = hostState();
  t.same({ ...now, namespaces: before.namespaces }, before, 'nothing else changed');
});
