// Shared by the tests: the flagship scenario resolved against a fixed state root.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../src/model.js';
import { ScenarioError } from '../src/errors.js';
import { loadScenarioFile, parseScenario } from '../src/scenario/load.js';
import { resolveLab } from '../src/scenario/resolve.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FLAGSHIP = join(ROOT, 'scenarios', 'floating-ip-lb.yaml');

export function loadFixtureLab(stateRoot = '/run/lablb'): Lab {
  return resolveLab(loadScenarioFile(FLAGSHIP), { stateRoot });
}

export function labFromText(text: string, file = 'test.yaml'): Lab {
  return resolveLab(parseScenario(text, file), { stateRoot: '/run/lablb' });
}

/** A scenario's problems as "path: message" lines; none when it resolves. */
export function problemsOf(text: string): string[] {
  try {
    labFromText(text);
    return [];
  } catch (err) {
    if (err instanceof ScenarioError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
}

/** Runs lablb as a user does (bin/lablb.js, without tap's loaders); coverage still follows it
 *  (NODE_V8_COVERAGE is inherited). */
export function lablb(...args: string[]): { code: number | null; out: string; err: string } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lablb.js'), ...args], { encoding: 'utf8', env: { ...env, NO_COLOR: '1' }, timeout: 180_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A check as `run --json`'s summary carries it: its name, verdict, detail and figures. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  [figure: string]: unknown;
}
