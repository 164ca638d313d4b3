// Benchmark: `lablb up floating-ip-lb` against the article's commands typed as a plain shell
// script (bench/manual-floating-ip-lb.sh), each timed until the floating IP answers over HTTP
// from ext, then torn down. Runs alternate so both see the same machine. Needs root.
//   sudo npm run bench [-- --runs 5] [--against OTHER/bin/lablb.js]
// --against times another lablb build the same way, in the same alternation (before/after a
// change, on the same machine in the same minutes).
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LABLB = join(ROOT, 'bin', 'lablb.js');
const MANUAL = join(ROOT, 'bench', 'manual-floating-ip-lb.sh');
const NAMES = ['vm1', 'vm2', 'qlbaas-01', 'qrouter01', 'ext', 'manual-ovs', 'lablb-floating-ip-lb'];

const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, against: { type: 'string' } } });
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
  const t0 = performance.now();
  up();
  waitForFloatingIp();
  const ms = performance.now() - t0;
  down();
  return ms;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const manual: number[] = [];
const lablb: number[] = [];
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
  lablb.push(
    timeOnce(
      () => sh(process.execPath, [LABLB, 'up', 'floating-ip-lb']),
      () => sh(process.execPath, [LABLB, 'down', 'floating-ip-lb']),
    ),
  );
  if (against)
    other.push(
      timeOnce(
        () => sh(process.execPath, [against, 'up', 'floating-ip-lb']),
        () => sh(process.execPath, [against, 'down', 'floating-ip-lb']),
      ),
    );
  console.log(
    `  run ${i + 1}: hand-typed script ${manual.at(-1)!.toFixed(0)} ms, lablb up ${lablb.at(-1)!.toFixed(0)} ms${against ? `, ${against} up ${other.at(-1)!.toFixed(0)} ms` : ''}`,
  );
}
const ratio = median(lablb) / median(manual);
console.log(`median: hand-typed script ${median(manual).toFixed(0)} ms, lablb up ${median(lablb).toFixed(0)} ms`);
console.log(`ratio lablb/hand-typed: ${ratio.toFixed(2)} (target <= 1.0, aim 0.5)`);
if (against) console.log(`ratio lablb/${against}: ${(median(lablb) / median(other)).toFixed(2)} (median ${median(other).toFixed(0)} ms)`);
