// Benchmark: `lablb up floating-ip-lb` against the article's commands typed as a plain shell
// script (bench/manual-floating-ip-lb.sh), each timed until the floating IP answers over HTTP
// from ext, then torn down. Beside them, the same lab built by the fastest script we could
// write (bench/parallel-floating-ip-lb.sh): the floor for any tool on this machine. Runs
// alternate so all see the same machine. Needs root.
//   sudo npm run bench [-- --runs 7] [--against OTHER/bin/lablb.js]
// --against times another lablb build the same way, in the same alternation (before/after a
// change, on the same machine in the same minutes). Then it prints where lablb's time went in
// its median run: Node's start and validation, each task on the build's critical path (what
// it waited for, what it ran), and the time from lablb's exit to the floating IP's answer.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { criticalPath } from '../src/engine/critical-path.js';
import type { LabEvent } from '../src/kinds/events.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LABLB = join(ROOT, 'bin', 'lablb.js');
const MANUAL = join(ROOT, 'bench', 'manual-floating-ip-lb.sh');
const PARALLEL = join(ROOT, 'bench', 'parallel-floating-ip-lb.sh');
const NAMES = ['vm1', 'vm2', 'qlbaas-01', 'qrouter01', 'ext', 'manual-ovs', 'parallel-ovs', 'lablb-floating-ip-lb'];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' }, against: { type: 'string' } } });
const runs = Number(values.runs);

if (process.getuid?.() !== 0) {
  console.error('bench: needs root (it builds real labs): sudo npm run bench');
  process.exit(2);
}
const taken = NAMES.filter((n) => existsSync(join('/run/netns', n)));
if (taken.length) {
  console.error(`bench: namespaces ${taken.join(', ')} exist; remove the running lab first (sudo lablb clean)`);
  process.exit(2);
}

function sh(file: string, args: string[]): void {
  const r = spawnSync(file, args, { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')} failed: ${r.stderr}`);
}

/** Polls the floating IP from ext until it answers (bounded: 20 s). */
function waitForFloatingIp(): void {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      const body = execFileSync('ip', ['netns', 'exec', 'ext', 'curl', '-s', '-m', '1', 'http://10.255.253.100/'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      if (/^server_8[12]/.test(body)) return;
    } catch {
      /* not yet: ext may not even exist */
    }
  }
  throw new Error('the floating IP did not answer within 20 s');
}

function timeOnce(up: () => void, down: () => void): number {
  return timeParts(up, down).ms;
}

/** The time to the first answer, and the time `up` itself took (the rest is the answer). */
function timeParts(up: () => void, down: () => void): { ms: number; upMs: number } {
  const t0 = performance.now();
  up();
  const upMs = performance.now() - t0;
  waitForFloatingIp();
  const ms = performance.now() - t0;
  down();
  return { ms, upMs };
}

/** One lablb run: its times and its build's timing event (`up --json`). */
interface LablbRun {
  ms: number;
  upMs: number;
  timing?: Extract<LabEvent, { type: 'timing' }>;
}

function timeLablb(): LablbRun {
  let out = '';
  const parts = timeParts(
    () => {
      const r = spawnSync(process.execPath, [LABLB, 'up', 'floating-ip-lb', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`lablb up failed: ${r.stderr}`);
      out = r.stdout;
    },
    () => sh(process.execPath, [LABLB, 'down', 'floating-ip-lb']),
  );
  const events = out
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LabEvent);
  return { ...parts, timing: events.find((e): e is Extract<LabEvent, { type: 'timing' }> => e.type === 'timing') };
}

/** Where the median run's time went, a line per part, largest parts marked. */
function breakdown(run: LablbRun): string[] {
  if (!run.timing) return ['  (no timing event: is this lablb older than the breakdown?)'];
  const path = criticalPath(run.timing.tasks, run.timing.appliedAtMs);
  const lastEnd = Math.max(...run.timing.tasks.map((t) => t.endMs));
  const rows: [number, string][] = [
    [run.timing.appliedAtMs, 'Node start, loading, validation, preflight, plan (before the first task)'],
    ...path.flatMap((l): [number, string][] => [
      [l.waitedMs, `  waiting to start ${l.id}`],
      [l.ranMs, `${l.id}: ${l.title}`],
    ]),
    [run.upMs - lastEnd, "after the last task: the lab's record, exit"],
    [run.ms - run.upMs, 'lablb exited -> the floating IP answered'],
  ];
  const top = [...rows].sort((a, b) => b[0] - a[0]).slice(0, 3);
  return rows.map(([ms, what]) => `  ${ms.toFixed(0).padStart(6)} ms  ${what}${top.some((x) => x[1] === what) ? '   <--' : ''}`);
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const manual: number[] = [];
const fastest: number[] = [];
const lablb: number[] = [];
const lablbRuns: LablbRun[] = [];
const other: number[] = [];
const against = values.against;
console.log(`floating-ip-lb, ${runs} runs each, alternating; time until http://10.255.253.100/ answers from ext`);
for (let i = 0; i < runs; i++) {
  manual.push(
    timeOnce(
      () => sh('bash', [MANUAL, 'up']),
      () => sh('bash', [MANUAL, 'down']),
    ),
  );
  fastest.push(
    timeOnce(
      () => sh('bash', [PARALLEL, 'up']),
      () => sh('bash', [PARALLEL, 'down']),
    ),
  );
  const run = timeLablb();
  lablbRuns.push(run);
  lablb.push(run.ms);
  if (against)
    other.push(
      timeOnce(
        () => sh(process.execPath, [against, 'up', 'floating-ip-lb']),
        () => sh(process.execPath, [against, 'down', 'floating-ip-lb']),
      ),
    );
  console.log(
    `  run ${i + 1}: hand-typed script ${manual.at(-1)!.toFixed(0)} ms, fastest script ${fastest.at(-1)!.toFixed(0)} ms, lablb up ${lablb.at(-1)!.toFixed(0)} ms${against ? `, ${against} up ${other.at(-1)!.toFixed(0)} ms` : ''}`,
  );
}
const ratio = median(lablb) / median(manual);
console.log(
  `median: hand-typed script ${median(manual).toFixed(0)} ms, fastest script ${median(fastest).toFixed(0)} ms, lablb up ${median(lablb).toFixed(0)} ms`,
);
console.log(`ratio lablb/hand-typed: ${ratio.toFixed(2)} (the goal: at most 0.5; ${ratio <= 0.5 ? 'met' : 'not met'})`);
// The floor: the same lab by the fewest processes, each started as soon as it can be.
console.log(`ratio fastest script/hand-typed: ${(median(fastest) / median(manual)).toFixed(2)} (the floor on this machine, before any tool's own start)`);
if (against) console.log(`ratio lablb/${against}: ${(median(lablb) / median(other)).toFixed(2)} (median ${median(other).toFixed(0)} ms)`);
const medianRun = [...lablbRuns].sort((a, b) => a.ms - b.ms)[Math.floor(lablbRuns.length / 2)];
console.log(`where lablb's time went in its median run (${medianRun.ms.toFixed(0)} ms to the first answer; the critical path, the three largest marked):`);
for (const line of breakdown(medianRun)) console.log(line);
