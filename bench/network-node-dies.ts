// Benchmark: seed 002's three answers to a dead network node, at size (scenarios/
// network-node-dies.yaml). For each N, `lablb run network-node-dies` builds N legacy routers on
// network1 and N HA routers on network1 and network2, kills network1, and times each router's
// floating IP until it answers again from outside: the HA routers after keepalived's takeover
// (l2pop told), the legacy ones after the scheduler moved them to network2; N DVR routers on
// compute1 are pinged 5 times a second meanwhile, for loss. A TCP session to each floating IP,
// held by a user beyond the gateway, shows which sessions were lost and when the others flowed
// again. Prints one row per answer: p50, p95, max, how many answered (for DVR: how many never
// missed a reply), sessions lost and back. Needs root.
//   sudo npm run bench:network-node-dies [-- --routers 10,100] [--agent-down-time 10]
import { parseArgs } from 'node:util';
import { requireRoot, runChecks } from './lab-run.js';
import { outageTable } from '../src/kinds/events.js';

const { values } = parseArgs({ options: { routers: { type: 'string', default: '10,100' }, 'agent-down-time': { type: 'string', default: '10' } } });
const sizes = values.routers.split(',').map(Number);
const adt = Number(values['agent-down-time']);
if (sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 100) || !Number.isInteger(adt) || adt < 1) {
  console.error('bench: --routers takes sizes from 1 to 100, e.g. 10,100; --agent-down-time whole seconds');
  process.exit(2);
}
requireRoot('bench:network-node-dies');

console.log('| routers | answer | answered | p50 ms | p95 ms | max ms | two masters / none | sessions lost | sessions back p50 ms | max ms | note |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const n of sizes) {
  const { checks, seconds: s, status, stderr } = runChecks('network-node-dies', [`routers=${n}`, `agent_down_time_s=${adt}`]);
  if (!checks) {
    console.log(`| ${n} | no result (exit ${status}) | | | | | | | | | ${stderr.slice(0, 200).replace(/\n/g, ' ')} |`);
    continue;
  }
  // The run's own table (each failover step's rows), a column for the size in front.
  const rows = checks.flatMap((c) => c.answers ?? []);
  for (const line of outageTable(rows).slice(2)) console.log(`| ${n} ${line}`);
  console.log(`| ${n} | (the whole run) | | | | | | | | | ${s} s |`);
}
