// Crash safety and coexistence, as root on the real host: whatever happens to lablb, `clean`
// leaves the host exactly as it was, and never touches what lablb did not create.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'haproxy', 'iptables-restore');
const LABLB = join(ROOT, 'bin', 'lablb.js');
const SECOND = join(ROOT, 'test', 'fixtures', 'second-lab.yaml');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k))), NO_COLOR: '1' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const labDirs = () => (existsSync('/run/lablb') ? readdirSync('/run/lablb') : []);

/** The flagship's journal as a build writes it: one line per object, before it is made. */
const JOURNAL = '/run/lablb/floating-ip-lb/journal.jsonl';
const journalLines = () => {
  try {
    return readFileSync(JOURNAL, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
};

t.test('kill -9 during up, right after the journal names the Nth object, then clean: the host as found', { skip }, async (t) => {
  const before = hostState();
  // A whole build first, to know how many objects it journals.
  t.equal(lablb('up', 'floating-ip-lb').code, 0);
  const total = journalLines().length;
  t.equal(lablb('down', 'floating-ip-lb').code, 0);
  t.ok(total > 10, `a build journals ${total} objects`);
  const targets = [...new Set([1, 2, 3, 5, Math.round(total / 4), Math.round(total / 2), Math.round((3 * total) / 4), total - 1, total])];
  for (const target of targets) {
    const child = spawn(process.execPath, [LABLB, 'up', 'floating-ip-lb'], { env, stdio: 'ignore' });
    let exited = false;
    const gone = new Promise((r) => child.once('exit', () => r((exited = true))));
    // Killed as soon as the journal holds `target` objects: the object it names last is being
    // made, or was just made, or not yet begun; every case must clean up.
    let lines = journalLines();
    while (lines.length < target && !exited) {
      await sleep(1);
      lines = journalLines();
    }
    child.kill('SIGKILL');
    await gone;
    const last = lines.at(-1) ?? '(none)';
    t.ok(lines.length >= target, `killed with ${lines.length} of ${total} objects journaled, the last ${last.slice(0, 90)}`);
    const status = JSON.parse(lablb('status', '--json').out);
    for (const lab of status.labs) t.not(lab.state, 'building', `after object ${target}: a dead build is not "building"`);
    const clean = lablb('clean');
    t.equal(clean.code, 0, `clean after a kill at object ${target}: ${clean.err}`);
    t.same(await settledHostState(before), before, `host as found after a kill at object ${target} (${last.slice(0, 60)})`);
    t.same(labDirs(), [], 'no state left');
  }
});

t.test('a state dir a crash left half-written is shown and cleaned', { skip }, async (t) => {
  const before = hostState();
  mkdirSync('/run/lablb/half-written', { recursive: true });
  mkdirSync('/run/lablb/bad-record', { recursive: true });
  writeFileSync('/run/lablb/bad-record/lab.json', '{"lab": {"na');
  writeFileSync('/run/lablb/bad-record/journal.jsonl', '{"kind":"netns","name":"never-made"}\n{"kind":"net');
  const status = JSON.parse(lablb('status', '--json').out);
  t.same(
    status.labs.map((l: { lab: string; state: string }) => [l.lab, l.state]),
    [
      ['bad-record', 'left over'],
      ['half-written', 'left over'],
    ],
  );
  t.match(lablb('status').out, /half-written: left over[\s\S]*'sudo lablb clean'/);
  t.equal(lablb('clean').code, 0);
  t.same(labDirs(), []);
  t.same(hostState(), before);
  t.equal(lablb('clean').code, 0, 'clean again: nothing to do');
});

t.test('Ctrl-C during run tears the lab down', { skip }, async (t) => {
  const before = hostState();
  const child = spawn(process.execPath, [LABLB, 'run', 'floating-ip-lb'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise((r) => child.once('exit', r));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const deadline = Date.now() + 30_000;
  while (!/step 2\/5/.test(out) && Date.now() < deadline) await sleep(50);
  child.kill('SIGINT');
  const code = await exited;
  t.equal(code, 2, 'interrupted: exit 2');
  t.match(out, /Tearing down lab floating-ip-lb[\s\S]*Lab floating-ip-lb removed/);
  t.same(await settledHostState(before), before, 'host as found');
  t.same(labDirs(), []);
});

t.test('down, then up again at once: no "File exists"', { skip }, async (t) => {
  const before = hostState();
  for (let i = 0; i < 2; i++) {
    const up = lablb('up', 'floating-ip-lb');
    t.equal(up.code, 0, up.err);
    t.equal(lablb('down', 'floating-ip-lb').code, 0);
  }
  t.same(await settledHostState(before), before);
});

t.test('two labs whose names do not collide run at once, each on its own switch', { skip }, async (t) => {
  const before = hostState();
  t.teardown(() => void lablb('clean'));
  t.equal(lablb('up', 'floating-ip-lb').code, 0);
  const second = lablb('up', SECOND);
  t.equal(second.code, 0, second.err);
  // The same floating IP in both labs, each answered by its own lab.
  t.match(lablb('exec', 'ext', '--', 'curl', '-s', '-m', '3', 'http://10.255.253.100/').out, /^server_8[12]$/m);
  t.equal(lablb('exec', 'ext2', '--', 'curl', '-s', '-m', '3', 'http://10.255.253.100/').out.trim(), 'second_lab');
  const status = JSON.parse(lablb('status', '--json').out);
  t.same(
    status.labs.map((l: { lab: string; state: string }) => `${l.lab} ${l.state}`),
    ['floating-ip-lb up', 'second-lab up'],
  );
  const ovs = lablb('exec', 'ovs', '--', 'true');
  t.equal(ovs.code, 2, 'ovs is in both labs: say which');
  t.match(ovs.err, /node ovs is in several labs\n  say which with --lab \(floating-ip-lb, second-lab\)/);
  t.match(lablb('exec', 'ovs', '--lab', 'second-lab', '--', 'ovs-vsctl', 'list-ports', 'br-int').out, /^qr02\ntapweb2\n$/);
  t.equal(lablb('down', 'second-lab').code, 0);
  t.equal(lablb('exec', 'ext', '--', 'curl', '-s', '-m', '3', 'http://10.255.253.100/').code, 0, 'the other lab is untouched');
  t.equal(lablb('down', 'floating-ip-lb').code, 0);
  t.same(await settledHostState(before), before);
});
