// A Docker engine for the container tests: the one at DOCKER_HOST or the default socket when it
// answers; else one of the tests' own, started the way that leaves the host as found (its own
// data root and socket under a temporary dir, no bridge, no iptables or forwarding changes in
// the root namespace) and stopped after, by its PID.
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestEngine {
  /** DOCKER_HOST for lablb and the docker CLI. */
  host: string;
  /** Whether the tests started it (and stop it). */
  own: boolean;
  stop(): Promise<void>;
}

function answers(host: string): boolean {
  try {
    execFileSync('docker', ['version', '--format', '{{.Server.Version}}'], { env: { ...process.env, DOCKER_HOST: host }, stdio: 'ignore', timeout: 5000 });
    return true;
  } catch {
    return false;
  }
}

export function docker(host: string, ...args: string[]): string {
  return execFileSync('docker', args, { env: { ...process.env, DOCKER_HOST: host }, encoding: 'utf8', timeout: 30_000 });
}

/** The engine to use, or undefined when none answers and dockerd is not installed. */
export async function testEngine(): Promise<TestEngine | undefined> {
  const existing = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
  if (answers(existing)) return { host: existing, own: false, stop: async () => {} };
  try {
    execFileSync('sh', ['-c', 'command -v dockerd'], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'lablb-dockerd-'));
  const host = `unix://${join(dir, 'docker.sock')}`;
  const child = spawn(
    'dockerd',
    [
      '--data-root',
      join(dir, 'root'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '--bridge=none',
      '--iptables=false',
      '--ip6tables=false',
      '--ip-forward=false',
      '-H',
      host,
    ],
    { stdio: 'ignore', detached: true },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 30_000;
  while (!answers(host)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`the tests' own dockerd did not answer at ${host}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host,
    own: true,
    async stop() {
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
