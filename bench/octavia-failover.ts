// Benchmark: Octavia's failovers side by side (seed 004). Runs `lablb run octavia` for each
// topology, failover order and amphora boot time, then the two variants that teach a pitfall:
// a replacement rendered with state MASTER and preemption (pitfall 9), and Octavia's own long
// heartbeat timeout, under which keepalived's check script, not the health manager, moves the
// VIP when haproxy dies. Prints, per run and step, the client outage and the figures.
//   sudo npm run bench:octavia [-- --boot-ms 0,10000]
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LABLB = join(ROOT, 'bin', 'lablb.js');
const { values } = parseArgs({ options: { 'boot-ms': { type: 'string', default: '0,10000' } } });
const boots = values['boot-ms'].split(',').map(Number);

if (process.getuid?.() !== 0) {
  console.error('bench: needs root (it builds real labs): sudo npm run bench:octavia');
  process.exit(2);
}

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  [figure: string]: number | string | boolean;
}
interface Event {
  type: string;
  kind?: string;
  event?: string;
  source?: string;
  state?: string;
  at_ms?: number;
}

function run(sets: string[]): { checks: Check[]; events: Event[]; seconds: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [LABLB, 'run', 'octavia', '--json', ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  const events = r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Event & { checks?: Check[] });
  const checks = events.at(-1)?.checks ?? [];
  if (checks.length === 0) console.error(r.stderr);
  return { checks, events, seconds: (performance.now() - t0) / 1000 };
}

const FIGURES = ['detected_ms', 'vip_moved_ms', 'failover_ms', 'replaced_ms', 'vip_held_ms', 'members_up_ms'];
const pad = (s: string | number, n: number) => String(s).padEnd(n);

function print(label: string, r: ReturnType<typeof run>): void {
  console.log(`\n${label}  (${r.seconds.toFixed(0)} s)`);
  for (const c of r.checks.filter((c) => 'outage_ms' in c)) {
    const figures = FIGURES.filter((f) => f in c).map((f) => `${f.replace(/_ms$/, '')} ${c[f]}`);
    console.log(
      `  ${c.ok ? 'ok  ' : 'FAIL'} ${pad(c.name, 16)} outage ${pad(`${c.outage_ms} ms`, 8)} lost ${pad(`${c.failed_requests}/${c.requests}`, 8)} ${figures.join(', ')}`,
    );
    if (!c.ok) console.log(`       ${c.detail}`);
  }
}

for (const topology of ['SINGLE', 'ACTIVE_STANDBY']) {
  for (const boot of boots) {
    for (const order of ['delete-first', 'build-first']) {
      print(`${topology}, ${order}, amphora boot ${boot} ms`, run([`topology=${topology}`, `failover_order=${order}`, `amphora_boot_ms=${boot}`]));
    }
  }
}

// Pitfall 9: when the replacement takes the VIP back from the survivor, in ms after the
// survivor took it, read from keepalived's own state changes in the amphorae.
const p9 = run(['replacement_preempts=true']);
print('ACTIVE_STANDBY, pitfall 9 (the replacement has state MASTER and preempts)', p9);
const masters = p9.events.filter((e) => e.kind === 'amphora-agent' && e.event === 'vrrp' && e.state === 'MASTER');
for (let i = 1; i < masters.length; i++) {
  const gap = (masters[i].at_ms ?? 0) - (masters[i - 1].at_ms ?? 0);
  console.log(`  MASTER ${masters[i - 1].source} -> ${masters[i].source} after ${gap} ms`);
}

print('ACTIVE_STANDBY, heartbeat_timeout 20 s (the check script moves the VIP first)', run(['heartbeat.timeout_ms=20000']));
