// lablb's spawner: a small Node process that starts commands for lablb, sent over its IPC
// channel. Node forks its whole address space for every child and blocks until the child has
// exec'd; from lablb's own process, with a large heap and a busy machine, that cost ~3.6 ms of
// its one thread per command (most of a thousand routers' build). Forked from this small
// process it is cheap, and lablb's thread goes on meanwhile. Node's builtins only.
import { spawn } from 'node:child_process';

interface Request {
  id: number;
  argv: string[];
  input?: string;
  env?: Record<string, string>;
  timeoutMs: number;
}

function start(req: Request): void {
  const [file, ...args] = req.argv;
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let timedOut = false;
  let replied = false;
  const reply = (exitCode: number, message = '') => {
    if (replied) return;
    replied = true;
    clearTimeout(timer);
    process.send?.({ id: req.id, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString(), exitCode, timedOut, message });
  };
  const child = spawn(file, args, { env: { ...process.env, ...req.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGTERM');
  }, req.timeoutMs);
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.on('error', (e) => reply(-1, e.message));
  child.on('close', (code, signal) => reply(code ?? -1, code === 0 ? '' : `${req.argv.join(' ')}: ${signal ? `killed by ${signal}` : `exit code ${code}`}`));
  child.stdin.on('error', () => {});
  child.stdin.end(req.input ?? '');
}

process.on('message', (req: Request) => start(req));
// lablb gone (its channel closed): nothing more will come.
process.on('disconnect', () => process.exit(0));
