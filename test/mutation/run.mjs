// Runs the unit tests of one mutant's module (Stryker's command runner, in its sandbox).
// - Which module: Stryker switches a mutant on by its id; the id is found in the instrumented
//   sources once per sandbox, and the module's tests are those the table below names.
// - Fast: loading TypeScript through tap's loader costs about 8 s a run, so each module's tests
//   are bundled once per sandbox with esbuild (every mutant is in the bundle, switched on by
//   Stryker's environment variable) and run in this process, and tap bails at the first
//   failure: a killed mutant costs well under a second.
// Without a mutant (Stryker's first, dry run) every table entry's tests run.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The modules stryker.config.json mutates, and the tests that must catch a change in them. */
export const TESTS = {
  'src/steps/exec-grammar.ts': ['src/steps/exec-grammar.test.ts'],
  'src/safe-text.ts': ['src/safe-text.test.ts'],
  'src/lab-name.ts': ['src/lab-name.test.ts'],
  'src/steps/judge.ts': ['test/unit/judge.test.ts'],
  'src/stats.ts': ['test/unit/judge.test.ts'],
  'src/security/': ['src/security/security.test.ts', 'src/steps/security.test.ts'],
  // A lab of hosts' switches are planned there too.
  'src/plan/plan.ts': ['test/unit/plan.test.ts', 'test/unit/hosts.test.ts'],
  // Joining a running lab is what add-node and the lab API's steps do.
  'src/plan/node-plan.ts': ['test/unit/steps.test.ts'],
  'src/waits/': ['test/unit/waits.test.ts'],
  'src/services/keepalived/': ['src/services/keepalived/keepalived.test.ts', 'test/unit/waits.test.ts'],
  // br-tun's flows (l2pop, DVR) and a DVR router's routes, rules and links.
  'src/links/tunnels.ts': ['test/unit/hosts.test.ts', 'test/unit/dvr.test.ts'],
  'src/services/l3-agent/dvr.ts': ['test/unit/dvr.test.ts'],
  // What the trace reads from xtables-monitor, ofproto/trace, dpif/show and ip.
  'src/trace/parse.ts': ['test/unit/trace.test.ts'],
  // What a run's report draws: steps, probe series, state bands, figures.
  'src/report/run-data.ts': ['test/unit/run-data.test.ts'],
};

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MUTANT = /stryMutAct_9fa48\("(\d+)"\)/g;

/** The mutated module a mutant id is in, from the sandbox's instrumented sources (cached). */
function moduleOf(id) {
  const cache = join(root, 'test', '.mutation-ids.json');
  if (!existsSync(cache)) {
    const ids = {};
    for (const file of mutatedFiles()) for (const m of readFileSync(join(root, file), 'utf8').matchAll(MUTANT)) ids[m[1]] = file;
    writeFileSync(cache, JSON.stringify(ids));
  }
  return JSON.parse(readFileSync(cache, 'utf8'))[id];
}

/** The sources Stryker instrumented: those that carry its mutant switch. */
function mutatedFiles() {
  return readdirSync(join(root, 'src'), { recursive: true })
    .filter((f) => f.endsWith('.ts') && readFileSync(join(root, 'src', f), 'utf8').includes('stryMutAct_9fa48'))
    .map((f) => `src/${f}`);
}

/** The tests for a module, or every test in the table. */
function testsFor(file) {
  if (!file) return [...new Set(Object.values(TESTS).flat())];
  const key = Object.keys(TESTS).find((k) => (k.endsWith('/') ? file.startsWith(k) : file === k));
  if (!key) throw new Error(`test/mutation/run.mjs: no tests named for ${file}; add it to TESTS`);
  return TESTS[key];
}

/** One bundle per set of tests, in test/ (as helpers.ts), so paths relative to it resolve. */
async function bundleOf(tests) {
  const name = tests.map((t) => t.replace(/\W+/g, '-')).join('+');
  const out = join(root, 'test', `.mutation-${name.length > 150 ? 'all' : name}.bundle.mjs`);
  if (!existsSync(out)) {
    const { build } = await import('esbuild');
    await build({
      stdin: {
        contents: tests.map((t) => `import ${JSON.stringify(`./${relative(join(root, 'test'), join(root, t))}`)};`).join('\n'),
        resolveDir: join(root, 'test'),
        loader: 'ts',
      },
      outfile: out,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      jsx: 'automatic',
      packages: 'external',
      logLevel: 'warning',
    });
  }
  return out;
}

const id = process.env.__STRYKER_ACTIVE_MUTANT__;
const bundle = await bundleOf(testsFor(id === undefined ? undefined : moduleOf(id)));
// In this process: tap sets the exit code when its tests end.
process.env.TAP_BAIL = '1';
await import(pathToFileURL(bundle).href);
