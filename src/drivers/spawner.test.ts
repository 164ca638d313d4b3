import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ExternalError } from '../errors.js';
import { run, useSpawner } from './process.js';
import { Spawner } from './spawner.js';

t.test('the spawner runs each command as run would: output, input, environment, exit code', async (t) => {
  const spawner = new Spawner();
  t.teardown(() => spawner.close());
  const cat = await spawner.run(['cat'], 'one\ntwo', undefined, 5000);
  t.same(cat, { stdout: 'one\ntwo', stderr: '', exitCode: 0, timedOut: false, message: '' }, 'stdin in, stdout out, untouched');
  const env = await spawner.run(['printenv', 'LABLB_SPAWNER_TEST'], undefined, { LABLB_SPAWNER_TEST: 'from lablb' }, 5000);
  t.equal(env.stdout, 'from lablb\n', 'its own variables on top of lablb’s environment');
  t.match((await spawner.run(['printenv', 'PATH'], undefined, undefined, 5000)).stdout, /\/usr\/bin/, "lablb's own environment");
  const failed = await spawner.run(['ls', '/nonexistent-lablb-path'], undefined, undefined, 5000);
  t.equal(failed.exitCode, 2);
  t.match(failed.stderr, /nonexistent-lablb-path/);
  t.equal(failed.message, 'ls /nonexistent-lablb-path: exit code 2');
  const missing = await spawner.run(['/nonexistent/lablb-command'], undefined, undefined, 5000);
  t.equal(missing.exitCode, -1);
  t.match(missing.message, /ENOENT/, 'a command that cannot start says why');
  const slow = await spawner.run(['sleep', '5'], undefined, undefined, 100);
  t.ok(slow.timedOut, 'a command past its time is stopped');
  t.equal(slow.exitCode, -1);
  t.match(slow.message, /killed by SIGTERM/);
});

t.test('many at once: each answer reaches its own command', async (t) => {
  const spawner = new Spawner();
  t.teardown(() => spawner.close());
  const n = 40;
  const answers = await Promise.all(Array.from({ length: n }, (_, i) => spawner.run(['echo', `command ${i}`], undefined, undefined, 10_000)));
  t.same(
    answers.map((a) => a.stdout),
    Array.from({ length: n }, (_, i) => `command ${i}\n`),
  );
});

t.test('a spawner that is gone answers every command with why, never hangs', async (t) => {
  const spawner = new Spawner();
  const pending = spawner.run(['sleep', '5'], undefined, undefined, 10_000);
  spawner.close();
  const lost = await pending;
  t.equal(lost.exitCode, -1);
  t.match(lost.message, /^lablb's spawner (exited|is closed)/);
  const after = await spawner.run(['true'], undefined, undefined, 1000);
  t.match(after.message, /^lablb's spawner (exited|is closed)/, 'and every command after it');
});

t.test('run through the spawner: the same results and the same ExternalError', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-spawner-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  useSpawner();
  t.same(await run(['cat'], { input: 'x' }), { stdout: 'x', stderr: '', exitCode: 0 });
  const err = await run(['ls', join(dir, 'none')]).catch((e: unknown) => e);
  t.ok(err instanceof ExternalError);
  t.match((err as Error).message, new RegExp(`ls ${dir}/none`), 'names the command');
  t.match((err as Error).message, /No such file or directory/, 'and its stderr');
  t.equal((await run(['false'], { allowFailure: true })).exitCode, 1, 'allowFailure returns the exit code');
  const quiet = await run(['false']).catch((e: unknown) => e);
  t.match((quiet as Error).message, /false: exit code 1/, 'a failure with no stderr still says what ended it');
  const late = await run(['sleep', '5'], { timeoutMs: 100 }).catch((e: unknown) => e);
  t.match((late as Error).message, /timed out after 100 ms/);
});
