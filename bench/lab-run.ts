// What the scale benchmarks share: they need root, and each runs `lablb run <scenario> --json`
// with parameters and reads the checks from its last line.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CheckResult } from '../src/kinds/events.js';

const LABLB = join(fileURLToPath(new URL('../../', import.meta.url)), 'bin', 'lablb.js');

export type Check = CheckResult;

/** Exits with a message unless root: the benchmarks build real labs. */
export function requireRoot(script: string): void {
  if (process.getuid?.() !== 0) {
    console.error(`bench: needs root (it builds real labs): sudo npm run ${script}`);
    process.exit(2);
  }
}

/** One run of a scenario: its checks (undefined when it printed no result), how long it took
 *  (s) and, for a failed start, its exit code and error output. */
export function runChecks(scenario: string, sets: string[]): { checks?: Check[]; seconds: string; status: number | null; stderr: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [LABLB, 'run', scenario, ...sets.flatMap((s) => ['--set', s]), '--json'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  try {
    const checks = (JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as { checks: Check[] }).checks;
    return { checks, seconds, status: r.status, stderr: r.stderr };
  } catch {
    return { seconds, status: r.status, stderr: r.stderr };
  }
}
