// Finding lablb's processes by token, and a SIGKILL that leaves what a real crash leaves.
import { spawn } from 'node:child_process';
import t from 'tap';
import { TOKEN_VAR } from '../token.js';
import { findByToken, isAlive, signalByToken } from './procs.js';

/** A `sleep` carrying the token, as every process lablb starts does. */
function tokened(token: string) {
  const child = spawn('sleep', ['30'], { env: { ...process.env, [TOKEN_VAR]: token }, stdio: 'ignore' });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  return { pid: child.pid!, exited };
}

const execd = () => new Promise((r) => setTimeout(r, 50)); // the child runs sleep, with its environment

/** The signals `fn` sends, in order (they are still sent). */
function signalsSentBy(fn: () => void): [number, string][] {
  const sent: [number, string][] = [];
  const kill = process.kill;
  process.kill = ((pid: number, sig?: string | number) => {
    sent.push([pid, String(sig)]);
    return kill.call(process, pid, sig);
  }) as typeof process.kill;
  try {
    fn();
  } finally {
    process.kill = kill;
  }
  return sent;
}

t.test("a token finds exactly its processes; a lab token ending in / finds the lab's", async (t) => {
  const a = tokened('procs-test/n1/svc');
  const b = tokened('procs-test/n2/svc');
  const other = tokened('procs-test-other/n1/svc');
  await execd();
  t.same(findByToken('procs-test/n1/svc'), [a.pid]);
  t.same(findByToken('procs-test/').sort(), [a.pid, b.pid].sort(), 'not a lab whose name only starts alike');
  for (const p of [a, b, other]) process.kill(p.pid, 'SIGKILL');
  await Promise.all([a.exited, b.exited, other.exited]);
  t.same(findByToken('procs-test/'), []);
});

t.test('SIGKILL stops every process first, so none sees another die and cleans up', async (t) => {
  const a = tokened('procs-test/crash/svc');
  const b = tokened('procs-test/crash/svc');
  await execd();
  let killed: number[] = [];
  const sent = signalsSentBy(() => void (killed = signalByToken('procs-test/crash/svc', 'SIGKILL')));
  t.same(killed.sort(), [a.pid, b.pid].sort());
  t.same(
    sent.slice(0, 2).map(([, s]) => s),
    ['SIGSTOP', 'SIGSTOP'],
    'all stopped before any is killed',
  );
  t.same(
    sent.slice(2).map(([, s]) => s),
    ['SIGKILL', 'SIGKILL'],
  );
  t.same(await Promise.all([a.exited, b.exited]), ['SIGKILL', 'SIGKILL']);
  t.notOk(isAlive(a.pid));

  const c = tokened('procs-test/term/svc');
  await execd();
  t.same(
    signalsSentBy(() => void signalByToken('procs-test/term/svc', 'SIGTERM')),
    [[c.pid, 'SIGTERM']],
    'any other signal is sent alone',
  );
  t.equal(await c.exited, 'SIGTERM');

  const d = tokened('procs-test/one/svc');
  const e = tokened('procs-test/one/svc');
  await execd();
  t.same(signalByToken('procs-test/one/svc', 'SIGKILL', e.pid), [e.pid], 'only the PID named, of those carrying the token');
  t.equal(await e.exited, 'SIGKILL');
  t.same(signalByToken('procs-test/one/svc', 'SIGKILL', process.pid), [], 'a PID without the token is not signalled');
  t.ok(isAlive(d.pid));
  signalByToken('procs-test/one/svc', 'SIGKILL');
  t.equal(await d.exited, 'SIGKILL');
});
