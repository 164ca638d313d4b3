// The one gateway through which lablb starts processes. Every command is logged at debug level
// and a failure becomes an ExternalError that carries the command and its stderr.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';
import { ExternalError } from '../errors.js';
import type { PipedChild, RunOptions, RunResult } from '../host.js';
import { shellLine } from '../shell.js';
import { runToEnd } from './run-to-end.js';
import { Spawner } from './spawner.js';

let debugLog: ((line: string) => void) | undefined;
/** With --debug: every command, stamped with the ms since lablb started. */
export function setCommandLog(log: ((line: string) => void) | undefined): void {
  debugLog = log && ((line) => log(`${String(Math.round(performance.now())).padStart(6)} ms ${line}`));
}

export async function run(argv: string[], opts: RunOptions = {}): Promise<RunResult> {
  debugLog?.(`$ ${shellLine(argv, opts.env)}`);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const started = performance.now();
  const r = spawner ? await spawner.run(argv, opts.input, opts.env, timeoutMs) : await runToEnd(argv, opts.input, opts.env, timeoutMs);
  debugLog?.(`  exit ${r.exitCode} after ${Math.round(performance.now() - started)} ms: ${argv[0]}`);
  const result = { stdout: r.stdout, stderr: r.stderr, exitCode: r.exitCode };
  if (result.exitCode !== 0 && !opts.allowFailure) {
    throw new ExternalError(shellLine(argv, opts.env), r.exitCode, r.timedOut ? `timed out after ${timeoutMs} ms` : result.stderr || r.message);
  }
  return result;
}

let spawner: Spawner | undefined;

/** From here on, `run` starts its commands through lablb's spawner (a small helper process):
 *  for builds of hundreds of commands, where forking lablb's own heap for each would be most
 *  of the time. It ends with lablb. */
export function useSpawner(): void {
  spawner ??= new Spawner();
}

/** A read-only look at the host, run many times a second by observers (iptables-save, ip addr).
 *  Plain execFile: execa's extra work per call (measured ~3.5 ms of CPU) would be most of the
 *  live screen's cost. Never throws; a failure is an exit code. */
export function query(argv: string[], timeoutMs = 5000): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: timeoutMs, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as NodeJS.ErrnoException).code === 'number' ? Number((err as NodeJS.ErrnoException).code) : 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), exitCode: code });
    });
  });
}

/** Start a long-lived process detached from lablb, its output appended to a log file. */
export function spawnDetached(argv: string[], opts: { env?: Record<string, string>; logfile: string }): number {
  debugLog?.(`$ ${shellLine(argv, opts.env)} >>${opts.logfile} 2>&1 &`);
  const fd = openSync(opts.logfile, 'a');
  try {
    const child = spawn(argv[0], argv.slice(1), {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, ...opts.env },
    });
    child.unref();
    if (child.pid === undefined) throw new ExternalError(shellLine(argv, opts.env), undefined, 'could not start');
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Start a process whose stdout lablb reads line by line; it gets a stdin pipe, so it can
 *  notice lablb going away. */
export function spawnPiped(argv: string[], opts: { env?: Record<string, string> }): PipedChild {
  debugLog?.(`$ ${shellLine(argv, opts.env)} |`);
  const child: ChildProcess = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  // A child that cannot start reports it through 'error' and then exits: never an uncaught throw.
  child.on('error', () => {});
  child.stdin?.on('error', () => {});
  const lines = createInterface({ input: child.stdout! });
  return {
    onLine: (listener) => void lines.on('line', listener),
    onExit: (listener) => void child.on('exit', listener),
    stop: () => {
      child.stdin?.end();
      child.kill('SIGTERM');
    },
  };
}

/** Run a command attached to the terminal (for `lablb exec`); resolves with its exit code, or
 *  128 + the signal's number for one a signal ended, as a shell reports it. execa also ends
 *  the command if lablb itself is stopped. */
export async function runAttached(argv: string[], env?: Record<string, string>, opts?: { stdoutFile?: string }): Promise<number> {
  debugLog?.(`$ ${shellLine(argv, env)}${opts?.stdoutFile ? ` >${opts.stdoutFile}` : ''}`);
  // Loaded on first use: only the attached verbs need it.
  const { execa } = await import('execa');
  // Its output to a file (a capture's pcap), or to the terminal.
  const stdout = opts?.stdoutFile ? { file: opts.stdoutFile } : 'inherit';
  const r = await execa(argv[0], argv.slice(1), { stdin: 'inherit', stdout, stderr: 'inherit', env, reject: false });
  if (r.exitCode !== undefined) return r.exitCode;
  return r.signal ? 128 + (constants.signals[r.signal] ?? 9) : 127;
}
