// The mutation gate CI runs: Stryker mutates the modules that decide what the lab builds and
// allows (src/security but its schema, src/plan) and what a check says (src/waits, the VRRP
// wait), each mutant
// against its module's unit tests (test/mutation/run.mjs), and the score must not fall below
// the floor measured when it was set. `npm run mutation` runs the wider set, by hand.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { ROOT } from '../helpers.js';

/** Measured on this 2-CPU machine (README, "Tests and benchmarks"); raise it as tests improve. */
export const FLOOR = 82;

/** stryker.config.json's list, less the exec grammar, names, terminal text and the judge. */
const GATED = [
  'src/security/flows.ts',
  'src/security/changes.ts',
  'src/security/model.ts',
  'src/security/neutron-cli.ts',
  'src/security/apply.ts',
  'src/plan/plan.ts',
  'src/plan/node-plan.ts',
  'src/waits/*.ts',
  'src/services/keepalived/vrrp-wait.ts',
];

// About 8 minutes here: more than tap's 600 s per file allows.
t.setTimeout(40 * 60_000);

t.test(`mutation score of src/security, src/plan and the waits is at least ${FLOOR}%`, async (t) => {
  // Coverage would follow Stryker into its sandbox: not this run's business.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && k !== 'NODE_V8_COVERAGE' && !/^_?TAP/.test(k)));
  const r = spawnSync(
    process.execPath,
    [`${ROOT}/node_modules/@stryker-mutator/core/bin/stryker.js`, 'run', '--mutate', GATED.join(','), '--reporters', 'clear-text'],
    {
      cwd: ROOT,
      env,
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  t.equal(r.status, 0, r.stderr.slice(-2000));
  // clear-text's table: "All files | 81.25 | 81.25 | 1403 | 23 | 329 | ..."
  const row = /^All files\s*\|\s*([\d.]+)\s*\|\s*[\d.]+\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|\s*(\d+)\s*\|/m.exec(r.stdout);
  t.ok(row, 'Stryker printed its score table');
  const [score, killed, timedOut, survived] = (row ?? []).slice(1).map(Number);
  t.comment(`mutation score ${score}%: ${killed} killed, ${timedOut} timed out, ${survived} survived`);
  t.ok(score >= FLOOR, `mutation score ${score}% (floor ${FLOOR}%)`);
});
