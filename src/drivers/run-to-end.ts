// One command run to its end with Node's builtins: its output, its exit code, and whether
// lablb's bound stopped it. `run` uses it in lablb's own process and the spawner agent in its
// own; execa's extra work per call (~3.5 ms of CPU, and ~11 ms to compile it first) was most
// of a small lab's build on lablb's one thread.
import { spawn } from 'node:child_process';

/** A command that ran (or could not start: exit code -1 and why in message). */
export interface Finished {
  stdout: string;
  stderr: string;
  exitCode: number;
  timedOut: boolean;
  message: string;
}

/** Past its bound a command gets SIGTERM, and SIGKILL if it is still there this much later. */
const KILL_AFTER_MS = 5000;

export function runToEnd(
  argv: string[],
  input: string | undefined,
  env: Record<string, string> | undefined,
  timeoutMs: number,
  killAfterMs = KILL_AFTER_MS,
): Promise<Finished> {
  return new Promise((resolve) => {
    const [file, ...args] = argv;
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let done = false;
    let killer: NodeJS.Timeout | undefined;
    const finish = (exitCode: number, message = '') => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearTimeout(killer);
      resolve({ stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode, timedOut, message });
    };
    const child = spawn(file, args, { env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => finish(-1, e.message));
    child.on('close', (code, signal) => finish(code ?? -1, code === 0 ? '' : `${argv.join(' ')}: ${signal ? `killed by ${signal}` : `exit code ${code}`}`));
    // A command that exits without reading its input closes the pipe: not an error of lablb's.
    child.stdin.on('error', () => {});
    child.stdin.end(input ?? '');
  });
}
