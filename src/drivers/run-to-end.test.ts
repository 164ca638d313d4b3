import t from 'tap';
import { ExternalError } from '../errors.js';
import { run } from './process.js';
import { runToEnd } from './run-to-end.js';

t.test('a command run to its end: output, input, environment, exit code, and why it ended', async (t) => {
  t.same(await runToEnd(['cat'], 'one\ntwo', undefined, 5000), { stdout: 'one\ntwo', stderr: '', exitCode: 0, timedOut: false, message: '' });
  t.equal((await runToEnd(['printenv', 'LABLB_RUN_TEST'], undefined, { LABLB_RUN_TEST: 'set' }, 5000)).stdout, 'set\n');
  t.match((await runToEnd(['printenv', 'PATH'], undefined, undefined, 5000)).stdout, /\/usr\/bin/, "lablb's own environment beneath");
  const failed = await runToEnd(['sh', '-c', 'echo why >&2; exit 3'], undefined, undefined, 5000);
  t.same(failed, { stdout: '', stderr: 'why\n', exitCode: 3, timedOut: false, message: 'sh -c echo why >&2; exit 3: exit code 3' });
  const missing = await runToEnd(['/nonexistent/lablb-command'], undefined, undefined, 5000);
  t.equal(missing.exitCode, -1);
  t.match(missing.message, /ENOENT/);
  t.equal((await runToEnd(['true'], 'input nobody reads '.repeat(10_000), undefined, 5000)).exitCode, 0, 'input left unread is no error');
});

t.test('past its bound: SIGTERM, then SIGKILL for a command that ignores it', async (t) => {
  const slow = await runToEnd(['sleep', '5'], undefined, undefined, 100);
  t.ok(slow.timedOut);
  t.match(slow.message, /killed by SIGTERM/);
  const started = performance.now();
  const stubborn = await runToEnd(['sh', '-c', 'trap "" TERM; while :; do sleep 0.05; done'], undefined, undefined, 100, 200);
  t.ok(stubborn.timedOut);
  t.match(stubborn.message, /killed by SIGKILL/);
  t.ok(performance.now() - started < 4000, 'not left running');
});

t.test('run in lablb’s own process: the results and the ExternalError the spawner gives', async (t) => {
  t.same(await run(['cat'], { input: 'x' }), { stdout: 'x', stderr: '', exitCode: 0 });
  const err = await run(['sh', '-c', 'echo broken >&2; exit 4']).catch((e: unknown) => e);
  t.ok(err instanceof ExternalError);
  t.match((err as Error).message, /broken/);
  t.equal((await run(['false'], { allowFailure: true })).exitCode, 1);
  t.match(((await run(['sleep', '5'], { timeoutMs: 100 }).catch((e: unknown) => e)) as Error).message, /timed out after 100 ms/);
});
