// Benchmark: CPU used by `lablb watch floating-ip-lb` (the live screen at its default refresh:
// state polled twice a second, a frame drawn when what it shows changed) in a real terminal
// (tmux, 120x40): on an idle lab (target: under 5% of one core), then with --probe traffic.
// Reports the lablb process itself, the short commands it runs to observe (ip, iptables-save;
// counted once reaped), and the prober, separately.
//   sudo npm run bench:tui [-- --seconds 20]
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LABLB = join(ROOT, 'bin', 'lablb.js');
const SOCKET = `lablb-bench-${process.pid}`;
const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' } } });
const seconds = Number(values.seconds);
const HZ = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());

if (process.getuid?.() !== 0) {
  console.error('bench: needs root (it builds a real lab): sudo npm run bench:tui');
  process.exit(2);
}
const lablb = (...args: string[]) => spawnSync(process.execPath, [LABLB, ...args], { encoding: 'utf8' });
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' }).trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** utime+stime and cutime+cstime of a process, in seconds. */
function cpu(pid: number): { own: number; children: number } {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8')
    .slice(readFileSync(`/proc/${pid}/stat`, 'utf8').lastIndexOf(')') + 2)
    .split(' ');
  // Fields after the command: state is [0]; utime [11], stime [12], cutime [13], cstime [14].
  return { own: (Number(f[11]) + Number(f[12])) / HZ, children: (Number(f[13]) + Number(f[14])) / HZ };
}

function childPids(pid: number): number[] {
  const r = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' });
  return r.stdout.split('\n').filter(Boolean).map(Number);
}

async function measure(label: string, extra: string[]): Promise<void> {
  const statsFile = `/tmp/lablb-bench-tui-${process.pid}.txt`;
  tmux(
    'new-session',
    '-d',
    '-s',
    'watch',
    '-x',
    '120',
    '-y',
    '40',
    `exec env -u CI ${process.execPath} ${LABLB} watch floating-ip-lb --debug ${extra.join(' ')} 2>${statsFile}`,
  );
  const pid = Number(tmux('display', '-p', '-t', 'watch', '#{pane_pid}'));
  await sleep(3000); // start-up is not the steady state
  const prober = childPids(pid).find((c) => readFileSync(`/proc/${c}/cmdline`, 'utf8').includes('prober'));
  const a = cpu(pid);
  const pa = prober ? cpu(prober).own : 0;
  const t0 = performance.now();
  await sleep(seconds * 1000);
  const wall = (performance.now() - t0) / 1000;
  const b = cpu(pid);
  const pb = prober ? cpu(prober).own : 0;
  tmux('send-keys', '-t', 'watch', 'q');
  await sleep(1500);
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  const frames =
    readFileSync(statsFile, 'utf8')
      .split('\n')
      .find((l) => l.includes('screen drew')) ?? '';
  const pct = (x: number) => `${((x / wall) * 100).toFixed(1)}%`;
  console.log(`${label}: ${wall.toFixed(1)} s after a 3 s warm-up (share of one core)`);
  console.log(`  lablb (screen, store, haproxy stats socket):  ${pct(b.own - a.own)}`);
  console.log(`  its observer commands (ip, iptables-save):    ${pct(b.children - a.children)}`);
  console.log(`  lablb and its observers together:             ${pct(b.own - a.own + b.children - a.children)}   (target < 5%)`);
  if (prober) console.log(`  the prober (20 HTTP requests a second):       ${pct(pb - pa)}`);
  console.log(`  ${frames.replace(/^lablb: /, '')}`);
}

const up = lablb('up', 'floating-ip-lb');
if (up.status !== 0) {
  console.error(`bench: could not bring the lab up:\n${up.stderr}`);
  process.exit(2);
}
try {
  await measure('lablb watch floating-ip-lb, idle lab, 120x40', []);
  await measure('lablb watch floating-ip-lb --probe (20 requests/s through the floating IP), 120x40', ['--probe']);
} finally {
  spawnSync('tmux', ['-L', SOCKET, 'kill-server']);
  await sleep(500);
  lablb('down', 'floating-ip-lb');
}
