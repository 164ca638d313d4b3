// The CI mutation gate's Stryker run. `npm test` starts it first, in the background, at the
// lowest CPU priority: its mutants then use the CPU the integration tests leave idle while they
// wait on timers (VRRP adverts, agent-down times), and gate.test.ts, which tap runs after them,
// reads its result instead of spending six minutes of its own. A result is used only for the
// sources it ran on; without one the gate runs Stryker itself.
//   node test/mutation/gate-run.mjs --background   start it (npm's pretest)
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Part of stryker.config.json's list: port security, the build plan and the waits. */
export const GATED = [
  'src/security/flows.ts',
  'src/security/changes.ts',
  'src/security/model.ts',
  'src/security/apply.ts',
  'src/plan/plan.ts',
  'src/waits/*.ts',
  'src/services/keepalived/vrrp-wait.ts',
  'src/trace/parse.ts',
  'src/report/run-data.ts',
];

const STARTED = join(ROOT, 'test', '.mutation-gate.started.json');
const RESULT = join(ROOT, 'test', '.mutation-gate.result.json');

/** What the mutants and their tests are made of: every source and test file, and Stryker's config. */
export function fingerprint() {
  const hash = createHash('sha256');
  const files = ['src', 'test'].flatMap((dir) =>
    readdirSync(join(ROOT, dir), { recursive: true })
      .map((f) => join(dir, String(f)))
      .filter((f) => /\.(m?[jt]sx?|json|ya?ml)$/.test(f) && !f.includes('.mutation-')),
  );
  for (const file of [...files.sort(), 'stryker.config.json'])
    hash
      .update(`${file}\0`)
      .update(readFileSync(join(ROOT, file)))
      .update('\0');
  return hash.digest('hex');
}

/** Stryker on the gated files, its score table on stdout. */
function strykerArgs() {
  return [join(ROOT, 'node_modules/@stryker-mutator/core/bin/stryker.js'), 'run', '--mutate', GATED.join(','), '--reporters', 'clear-text'];
}

/**
 * Neither coverage nor tap's process tracking may follow Stryker and its thousands of test
 * runs: tap patches child_process to pass them on through these variables.
 */
function cleanEnv() {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^_?TAP|^NODE_OPTIONS$|^NODE_V8_COVERAGE$/.test(k)));
}

/** Runs Stryker here and now: { status, stdout, stderr }. */
export function runNow() {
  const r = spawnSync(process.execPath, strykerArgs(), { cwd: ROOT, env: cleanEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The background run's result for these sources, waited for; undefined when none was started
 * for them or it died without one. Each result is read once.
 */
export async function backgroundResult(deadlineMs = 35 * 60_000) {
  if (!existsSync(STARTED)) return undefined;
  const started = JSON.parse(readFileSync(STARTED, 'utf8'));
  if (started.fingerprint !== fingerprint()) return undefined;
  const deadline = Date.now() + deadlineMs;
  while (!existsSync(RESULT) && alive(started.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2000));
  if (!existsSync(RESULT)) return undefined;
  const result = JSON.parse(readFileSync(RESULT, 'utf8'));
  rmSync(RESULT);
  rmSync(STARTED);
  return result.fingerprint === started.fingerprint ? result : undefined;
}

/** Starts this file as the run's keeper, not waited for. */
function startBackground() {
  rmSync(RESULT, { force: true });
  // Its own session, so its own scheduling group (below).
  const keeper = spawn(process.execPath, [fileURLToPath(import.meta.url), '--keep'], { cwd: ROOT, env: cleanEnv(), stdio: 'ignore', detached: true });
  writeFileSync(STARTED, JSON.stringify({ pid: keeper.pid, fingerprint: fingerprint(), started: new Date().toISOString() }));
  keeper.unref();
}

/**
 * The lowest CPU priority for the keeper and all it starts. With the kernel's autogroups (one
 * per session), nice counts only inside a group: the lab daemons the integration tests start
 * are in groups of their own, and would share each CPU half and half with Stryker's. So the
 * keeper's own session's group is made nice 19 too, and the tests' processes and the labs'
 * daemons are served first.
 */
function lowestPriority() {
  setPriority(19);
  try {
    writeFileSync('/proc/self/autogroup', '19');
  } catch {
    // no autogroups here: nice alone does it
  }
}

/** The keeper: Stryker at the lowest priority (its workers inherit it), the result written
 *  whole or not at all. */
function keep() {
  lowestPriority();
  const print = fingerprint();
  const result = { fingerprint: print, ...runNow() };
  writeFileSync(`${RESULT}.tmp`, JSON.stringify(result));
  renameSync(`${RESULT}.tmp`, RESULT);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--background') startBackground();
  else if (process.argv[2] === '--keep') keep();
  else {
    console.error('usage: node test/mutation/gate-run.mjs --background');
    process.exit(2);
  }
}
