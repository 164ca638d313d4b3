// Runs a lab's experiment: the prober sends traffic for the whole run, the steps act and judge.
import { natCounters } from '../drivers/iptables.js';
import type { BuiltLab } from '../engine/lifecycle.js';
import type { HostDriver } from '../engine/driver.js';
import { HaproxyWatch } from '../observe/haproxy-watch.js';
import type { CheckResult, Emit } from '../report/events.js';
import { Prober } from './prober-client.js';
import { runStep, type StepContext } from './steps.js';

/** The prober stops by itself after this long even if lablb hangs. */
const PROBER_MAX_SECONDS = 600;
const WARMUP_MS = 15_000;

async function waitUntil(done: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await done()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/** What a live screen can watch while the experiment runs. */
export interface LiveExperiment {
  prober: Prober;
  haproxy: HaproxyWatch;
}

export async function runExperiment(
  built: BuiltLab,
  driver: HostDriver,
  emit: Emit,
  signal: AbortSignal,
  onLive?: (live: LiveExperiment) => void,
): Promise<CheckResult[]> {
  const { lab } = built;
  const experiment = lab.experiment;
  if (!experiment) return [];
  const baseline = new Map<string, Map<string, number>>();
  for (const step of experiment.steps) {
    if (step.kind === 'nat-counters' && !baseline.has(step.router)) baseline.set(step.router, await natCounters(step.router));
  }
  const watch = new HaproxyWatch(lab, emit);
  const prober = Prober.start(lab.name, experiment.probe, PROBER_MAX_SECONDS);
  const ctx: StepContext = { lab, driver, engine: built.engine, prober, watch, baseline };
  onLive?.({ prober, haproxy: watch });
  const checks: CheckResult[] = [];
  try {
    emit({ type: 'note', message: `probing ${experiment.probe.url} from ${experiment.probe.from} every ${experiment.probe.intervalMs} ms` });
    // Wait for the first good replies: the path is complete once ARP and haproxy are settled.
    const ready = await prober.until(() => prober.samples.filter((s) => s.ok).length >= 3, WARMUP_MS);
    if (!ready) {
      const last = prober.samples.at(-1);
      const check = { name: 'warm-up', ok: false, detail: `no replies from ${experiment.probe.url} within ${WARMUP_MS} ms (last: ${last?.error ?? 'nothing'})` };
      emit({ type: 'check', ...check });
      return [check];
    }
    // ...and every load balancer member has passed its health checks.
    const allUp = await waitUntil(async () => {
      await watch.poll();
      return watch.allMembersUp();
    }, WARMUP_MS);
    if (!allUp) {
      const down = [...watch.members.values()].filter((m) => m.status !== 'UP').map((m) => `${m.node} ${m.status}`);
      const check = { name: 'warm-up', ok: false, detail: `load balancer members not UP within ${WARMUP_MS} ms: ${down.join(', ') || 'no stats'}` };
      emit({ type: 'check', ...check });
      return [check];
    }
    watch.start(100);
    for (const [i, step] of experiment.steps.entries()) {
      if (signal.aborted) break;
      emit({ type: 'step', name: step.name, kind: step.kind, index: i + 1, total: experiment.steps.length });
      const check = await runStep(step, ctx);
      checks.push(check);
      emit({ type: 'check', ...check });
    }
  } finally {
    watch.stop();
    prober.stop();
  }
  return checks;
}
