// Benchmark: seed 002's network node at size N (scenarios/scale-routers.yaml): the time `lablb
// up` takes to build N routers (each a qrouter namespace, qr/qg ports, the l3-agent's chains, a
// floating IP to a VM), the memory the lab holds per router, and the time `lablb down` takes,
// for each N in turn; then where the build's time went at the largest N (the first start and
// last end of each group of tasks). Needs root; every lab is removed before the next.
//   sudo npm run bench:scale [-- --routers 10,100,1000]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { LabEvent, TaskTiming } from '../src/kinds/events.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LABLB = join(ROOT, 'bin', 'lablb.js');
const SCENARIO = join(ROOT, 'scenarios', 'scale-routers.yaml');

const { values } = parseArgs({ options: { routers: { type: 'string', default: '10,100,1000' } } });
const sizes = values.routers.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 1000)) {
  console.error('bench: --routers takes sizes from 1 to 1000, e.g. 10,100,1000');
  process.exit(2);
}
if (process.getuid?.() !== 0) {
  console.error('bench: needs root (it builds real labs): sudo npm run bench:scale');
  process.exit(2);
}
if (existsSync('/run/netns/ext') || existsSync('/run/netns/lablb-scale-routers')) {
  console.error('bench: a scale-routers lab (or a namespace named ext) exists; remove it first (sudo lablb clean)');
  process.exit(2);
}

/** MemAvailable in kB: what the whole host has left, so the kernel's share of a lab counts too. */
function available(): number {
  return Number(/MemAvailable:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))![1]);
}

function lablb(args: string[]): { ms: number; stdout: string } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [LABLB, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`lablb ${args.join(' ')} failed (exit ${r.status}): ${r.stderr.slice(0, 2000)}`);
  return { ms, stdout: r.stdout };
}

/** The first start and last end of each group of tasks (node:*, offload:*, service:* ...). */
function groups(tasks: TaskTiming[]): string[] {
  const by = new Map<string, { n: number; start: number; end: number }>();
  for (const t of tasks) {
    const key = t.id.split(':')[0];
    const g = by.get(key) ?? { n: 0, start: Infinity, end: 0 };
    by.set(key, { n: g.n + 1, start: Math.min(g.start, t.startMs), end: Math.max(g.end, t.endMs) });
  }
  const t0 = Math.min(...tasks.map((t) => t.startMs));
  return [...by].map(
    ([key, g]) =>
      `  ${key.padEnd(12)} ${String(g.n).padStart(5)} task${g.n === 1 ? ' ' : 's'}  ${String(g.start - t0).padStart(6)} -> ${String(g.end - t0).padStart(6)} ms`,
  );
}

const rows: string[] = [];
let lastTimings: TaskTiming[] = [];
for (const n of sizes) {
  const before = available();
  const up = lablb(['up', SCENARIO, '--set', `routers=${n}`, '--json']);
  const held = before - available();
  const events = up.stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LabEvent);
  const timing = events.find((e): e is Extract<LabEvent, { type: 'timing' }> => e.type === 'timing');
  lastTimings = timing?.tasks ?? [];
  const down = lablb(['down', 'scale-routers']);
  rows.push(
    `${String(n).padStart(5)} routers  up ${(up.ms / 1000).toFixed(1).padStart(6)} s (${((up.ms / n) * 1).toFixed(1).padStart(6)} ms/router)  down ${(down.ms / 1000).toFixed(1).padStart(5)} s (${(down.ms / n).toFixed(1).padStart(5)} ms/router)  memory ${(held / 1024).toFixed(0).padStart(5)} MiB (${(held / n).toFixed(0).padStart(5)} kB/router)`,
  );
  console.log(rows.at(-1));
}
console.log(`\nWhere the build's time went at ${sizes.at(-1)} routers (ms from the first task):`);
for (const line of groups(lastTimings)) console.log(line);
