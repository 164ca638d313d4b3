// Benchmark: seed 002's network node dying under N HA routers (scenarios/scale-l3-ha.yaml).
// For each N, `lablb run scale-l3-ha` builds N routers on two nodes, checks every floating IP,
// kills node 1's router namespaces' processes (SIGKILL, links down) and times each router's
// takeover on node 2; this prints the spread (p50, p95, max), the routers left with no MASTER
// or two, and whether every floating IP answered again from node 2. Needs root.
//   sudo npm run bench:l3-ha [-- --routers 100,250]
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { requireRoot, runChecks } from './lab-run.js';

const { values } = parseArgs({ options: { routers: { type: 'string', default: '100,250' } } });
const sizes = values.routers.split(',').map(Number);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 254)) {
  console.error('bench: --routers takes sizes from 1 to 254 (one HA network), e.g. 100,250');
  process.exit(2);
}
requireRoot('bench:l3-ha');
if (existsSync('/run/netns/ext') || existsSync('/run/netns/lablb-scale-l3-ha')) {
  console.error('bench: a scale-l3-ha lab (or a namespace named ext) exists; remove it first (sudo lablb clean)');
  process.exit(2);
}

for (const n of sizes) {
  const { checks, seconds: s, status, stderr } = runChecks('scale-l3-ha', [`routers=${n}`]);
  if (!checks) {
    console.log(`${n} routers: no result (exit ${status}): ${stderr.slice(0, 500)}`);
    continue;
  }
  const down = checks.find((c) => c.name === 'network-node-1-dies');
  const after = checks.find((c) => c.name === 'every-floating-ip-answers-from-node-2');
  console.log(
    `${String(n).padStart(4)} HA routers (run ${s} s): takeover p50 ${down?.p50_ms} ms, p95 ${down?.p95_ms} ms, max ${down?.max_ms} ms; ` +
      `${down?.took_over}/${down?.groups} took over, ${down?.no_master} with no MASTER, ${down?.two_masters} with two; after: ${after?.detail}`,
  );
}
