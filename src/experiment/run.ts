// Runs a lab's experiment: its probes send traffic for the whole run, observers fold live
// state into facts, and the steps act, wait and judge, one after another.
import type { HostDriver } from '../host.js';
import type { StepContext } from '../kinds/step-kind.js';
import { probeTarget, type Datapath, type Lab, type LabProbe } from '../model.js';
import type { Sample } from '../sample.js';
import { bySendTime } from '../stats.js';
import type { Observation } from '../observe/hub.js';
import { factsEvent } from '../observe/snapshot.js';
import type { Op } from '../kinds/ops.js';
import type { CheckResult, Emit, LabEvent } from '../kinds/events.js';
import { serviceKindOf } from '../services/all.js';
import { stepKindOf } from '../steps/all.js';
import { Prober } from './prober-client.js';
import { serveLabApi } from './lab-api.js';
import { liveTopology } from './live-topology.js';

/** The probers stop by themselves after this long even if lablb hangs. */
export const PROBER_MAX_SECONDS = 600;
export const WARMUP_MS = 15_000;

export interface ExperimentDeps {
  lab: Lab;
  host: HostDriver;
  /** The engine's way to apply ops: journaled, undone at teardown. */
  apply(ops: Op[]): Promise<void>;
  observation: Observation;
  emit: Emit;
  signal: AbortSignal;
  /** How long the lab may take to serve before the first step (15 s). */
  warmupMs?: number;
  /** The switch's datapath, for nodes that join at run time. */
  datapath: Datapath;
  /** The lab's nodes changed (add-node, remove-node): keep its record as it is now. */
  onTopology?(lab: Lab): void;
}

/** What the lab still waits for before the experiment can begin, or undefined. */
function unsettled(lab: Lab, ctx: StepContext): string | undefined {
  for (const s of lab.nodes.flatMap((n) => n.services)) {
    const why = serviceKindOf(s.kind).unsettled?.(s, ctx.facts);
    if (why) return why;
  }
  return undefined;
}

async function warmUp(lab: Lab, probers: Prober[], ctx: StepContext, warmupMs: number): Promise<CheckResult | undefined> {
  // The first good replies: the path is complete once ARP and the load balancers are settled.
  for (const p of probers) {
    if (lab.experiment!.probes.find((x) => x.name === p.name)?.warmUp === false) continue;
    const ready = await p.until(() => p.samples.filter((s) => s.ok).length >= 3, warmupMs);
    if (!ready) {
      const last = p.samples.at(-1);
      const url = probeTarget(lab.experiment!.probes.find((x) => x.name === p.name)!);
      return { name: 'warm-up', ok: false, detail: `no replies from ${url} within ${warmupMs} ms (last: ${last?.error ?? 'nothing'})` };
    }
  }
  // ...and every service serves, as its kind judges (members UP, VRRP elected): the observers
  // of the lab's service kinds, named after them, are polled until each says so.
  const kinds = [...new Set(lab.nodes.flatMap((n) => n.services.map((s) => s.kind)))];
  const deadline = Date.now() + warmupMs;
  let why: string | undefined;
  while (Date.now() < deadline && !ctx.signal.aborted) {
    await ctx.observe(kinds);
    why = unsettled(lab, ctx);
    if (!why) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
  return { name: 'warm-up', ok: false, detail: `${why ?? 'interrupted'} within ${warmupMs} ms` };
}

export async function runExperiment(deps: ExperimentDeps): Promise<CheckResult[]> {
  const { lab, host, observation, emit, signal } = deps;
  const experiment = lab.experiment;
  if (!experiment) return [];
  const probers = new Map<string, Prober>();
  /** The lab changed at run time: the observers watch what it has now, its record says it. */
  const changed = () => {
    observation.nodesChanged();
    deps.onTopology?.(lab);
  };
  const ctx: StepContext = {
    lab,
    host,
    apply: deps.apply,
    facts: observation.facts,
    observe: (ids) => observation.poll(ids),
    probe: (name) => probers.get(name),
    emit,
    startedAt: observation.started,
    signal,
    datapath: deps.datapath,
    topology: liveTopology(lab, changed),
  };
  for (const step of experiment.steps) await stepKindOf(step.kind).prepare?.(step, ctx);
  // A controller in the lab (Octavia's) boots and deletes its amphorae through it.
  const api = serveLabApi(ctx);
  for (const p of experiment.probes) {
    const prober = Prober.start(host, lab.name, p, PROBER_MAX_SECONDS);
    probers.set(p.name, prober);
    observation.addProbe(p.name, prober.samples);
  }
  const checks: CheckResult[] = [];
  const ran: typeof experiment.steps = [];
  try {
    for (const p of experiment.probes) emit({ type: 'note', message: `probing ${probeTarget(p)} from ${p.from} every ${p.intervalMs} ms` });
    // Every observer, in every output mode, from the start: plain lines and --json see what
    // the screen sees (addresses, NAT counters, port security), not only what warm-up polls.
    observation.start(500);
    const failed = await warmUp(lab, [...probers.values()], ctx, deps.warmupMs ?? experiment.warmUpMs ?? WARMUP_MS);
    if (failed) {
      emit({ type: 'check', ...failed, at_ms: observation.since() });
      return [failed];
    }
    observation.start(100);
    await observation.poll();
    emit(factsEvent(lab, observation.facts, 'start'));
    for (const [i, step] of experiment.steps.entries()) {
      if (signal.aborted) break;
      emit({ type: 'step', name: step.name, kind: step.kind, index: i + 1, total: experiment.steps.length, at_ms: observation.since() });
      ran.push(step);
      const check = await stepKindOf(step.kind).run(step, ctx);
      checks.push(check);
      emit({ type: 'check', ...check, at_ms: observation.since() });
    }
    if (!signal.aborted) {
      await observation.poll();
      emit(factsEvent(lab, observation.facts, 'end'));
    }
  } finally {
    api.close();
    for (const p of probers.values()) p.stop();
    // What steps left running (a capture) is ended and read while the lab still stands.
    for (const step of ran) await stepKindOf(step.kind).finish?.(step, ctx);
    // Every result, for the run's report: on the observers' clock, as the events are.
    for (const p of experiment.probes) emit(probeEvent(p, probers.get(p.name)?.samples ?? [], observation.started));
  }
  return checks;
}

/** A probe's results as one event: [sent at_ms, answered, ms] in the order sent. */
export function probeEvent(probe: LabProbe, samples: readonly Sample[], startedAt: number): Extract<LabEvent, { type: 'probe' }> {
  return {
    type: 'probe',
    name: probe.name,
    target: probeTarget(probe),
    from: probe.from,
    interval_ms: probe.intervalMs,
    samples: [...samples].sort(bySendTime).map((s) => [s.t - startedAt, s.ok ? 1 : 0, Math.round(s.ms)]),
  };
}
