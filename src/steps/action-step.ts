// The shape most steps share: an action (ops with their undo, applied and journaled by the
// engine), then waits (predicates over the observers' facts) until a deadline, then a
// judgement with measured figures: how long each wait took, and what a probe saw meanwhile
// (failed requests, the longest outage), and optionally the traffic after.
import { z } from 'zod';
import { Line, StepName } from '../kinds/fields.js';
import type { Path } from '../kinds/path.js';
import { stepKind, type ExplainContext, type ProbeFeed, type StepContext, type StepKind, type StepResolveContext } from '../kinds/step-kind.js';
import type { Tool } from '../kinds/tool.js';
import { boundLimitMs, BOUND_TOLERANCE, type LabWait, type WaitBound } from '../kinds/wait-kind.js';
import type { Expectation, Lab, LabStep } from '../model.js';
import { opToShell, type Op } from '../kinds/ops.js';
import type { CheckResult } from '../kinds/events.js';
import type { Facts } from '../kinds/facts.js';
import { Wait, waitKindFor, waitKindOf } from '../waits/all.js';
import { countBy, judgeTraffic } from './judge.js';
import { longestOutage, outages } from '../stats.js';

export const Expect = z
  .strictObject({
    alternate: z.array(Line()).min(2).max(64).optional().describe('replies must alternate between these bodies (round robin)'),
    only: z.array(Line()).min(1).max(64).optional().describe('replies must all be one of these bodies'),
    max_failed: z.int().min(0).default(0).describe('failed requests allowed'),
    min_failed: z.int().min(0).optional().describe('at least this many must fail (a stream expected to have died)'),
  })
  .describe("What the prober's replies must look like");

export const Then = z
  .strictObject({
    probe: z.string().min(1).optional().describe('which probe (default: the first)'),
    samples: z.int().min(2).max(10000),
    expect: Expect,
  })
  .describe('traffic to judge once the waits are met');

export function resolveExpect(e: z.infer<typeof Expect>, at: Path, ctx: StepResolveContext): Expectation {
  if (!e.alternate && !e.only && e.min_failed === undefined) ctx.report(at, 'say what to expect: alternate: [...], only: [...] or min_failed: N');
  if (e.min_failed !== undefined && e.min_failed > e.max_failed) ctx.report(at, `min_failed ${e.min_failed} is more than max_failed ${e.max_failed}`);
  return { alternate: e.alternate, only: e.only, maxFailed: e.max_failed, minFailed: e.min_failed };
}

/** The longest a step may judge traffic for: probers stop by themselves after 600 s. */
const MAX_JUDGED_MS = 300_000;

/** A number of a probe's replies that comes within that bound, or a reported problem. */
export function checkSamples(ctx: StepResolveContext, probe: string | undefined, samples: number, at: Path): void {
  const interval = ctx.lab.experiment?.probes.find((p) => p.name === probe)?.intervalMs;
  if (interval && samples * interval > MAX_JUDGED_MS) {
    ctx.report(
      at,
      `${samples} replies at one every ${interval} ms take ${(samples * interval) / 1000} s; a step judges at most ${MAX_JUDGED_MS / 1000} s of traffic`,
    );
  }
}

/** Probes come at their interval; allow for that plus the probe timeout. */
export function samplesTimeout(feed: ProbeFeed, samples: number): number {
  return samples * feed.intervalMs * 2 + feed.timeoutMs + 2000;
}

const common = {
  until: z.array(Wait).min(1).max(16).optional().describe('what must come true after the action: every wait, within within_ms'),
  within_ms: z.int().positive().max(600_000).default(10_000).describe('how long the waits may take'),
  max_failed: z.int().min(0).optional().describe("at most this many of the probe's requests may fail from the action on (say 0: no outage at all)"),
  then: Then.optional(),
};

export interface ActionSpec<A> {
  action: A;
  waits: LabWait[];
  withinMs: number;
  /** The probe whose traffic is measured across the step (none without probes). */
  probe?: string;
  maxFailed?: number;
  then?: { samples: number; expect: Expectation };
}

type CommonBlock = { name: string; kind: string; until?: object[]; within_ms: number; max_failed?: number; then?: z.infer<typeof Then> };

type FieldsOf<F extends z.ZodRawShape> = z.output<z.ZodObject<F>>;

interface ActionBase<A, F extends z.ZodRawShape> {
  kind: string;
  description: string;
  /** The kind's own fields, besides name, kind, until, within_ms and then. */
  fields: F;
  example: string;
  tools?: Tool[];
  /** Namespaces its action will create (add-node). */
  namespaces?(action: A): string[];
  resolveAction(block: FieldsOf<F> & { name: string }, ctx: StepResolveContext): A;
  /** Waits its block implies (stop-service's `watch`). */
  impliedWaits?(block: FieldsOf<F>, ctx: StepResolveContext): LabWait[];
  /** What it did, for a step without waits: "lb1/eth0 is down". */
  done(action: A): string;
  /** False for a step with no action of its own (wait): its waits time what happened before
   *  it, so no protocol bound applies to their times. */
  bounded?: boolean;
  /** Once its ops are applied: what the lab has become (a node added or removed). */
  applied?(action: A, ctx: StepContext): void;
  /** When the run ends, before teardown: what it left running, ended and read (a capture). */
  finish?(action: A, ctx: StepContext): Promise<void>;
}

/** The ops that make the change, known from the scenario alone (`run --explain` prints them)... */
interface StaticOps<A> {
  ops(action: A, lab: Lab): Op[];
}

/** ...or made from the lab's state at that moment (port security), with what explain says. */
interface LiveOps<A> {
  live: {
    ops(action: A, lab: Lab, ctx: StepContext): Promise<Op[]>;
    explain(action: A, ctx: ExplainContext): string[];
  };
}

export type ActionDef<A, F extends z.ZodRawShape> = ActionBase<A, F> & (StaticOps<A> | LiveOps<A>);

export function resolveWaits(blocks: object[] | undefined, ctx: StepResolveContext, at: Path): LabWait[] {
  return (blocks ?? []).map((b, i) => {
    const kind = waitKindFor(b)!;
    return { key: kind.key, spec: kind.resolve(b, ctx.within([...at, i])) };
  });
}

interface WaitOutcome {
  wait: LabWait;
  ms?: number;
  now: string;
  /** The protocol's bound on its time, when the step's action caused it. */
  bound?: WaitBound;
}

/** "(82% of its bound 6805 ms, VRRPv2 master-down: ...)", or that it is over. */
export function againstBound(ms: number, bound: WaitBound): string {
  const share = `${Math.round((ms / bound.ms) * 100)}% of its bound ${bound.ms} ms, ${bound.why}`;
  return ms > boundLimitMs(bound) ? `(OVER THE BOUND: ${share}; ${boundLimitMs(bound)} ms at most with the tolerance)` : `(${share})`;
}

/** Checks every wait until all are met or the deadline passes, polling the observers they read. */
export async function waitAll(waits: LabWait[], ctx: StepContext, t0: number, withinMs: number): Promise<WaitOutcome[]> {
  const outcomes: WaitOutcome[] = waits.map((wait) => ({ wait, now: 'not checked' }));
  const needs = [...new Set(waits.flatMap((w) => waitKindOf(w.key).needs(w.spec)))];
  // A copy of every fact only when a wait counts from the step's start: facts grow with the lab.
  const keepFirst = waits.some((w) => waitKindOf(w.key).countsDuringStep);
  let first: Facts | undefined;
  for (;;) {
    await ctx.observe(needs);
    if (keepFirst) first ??= structuredClone(ctx.facts);
    const elapsed = Date.now() - t0;
    for (const o of outcomes) {
      if (o.ms !== undefined) continue;
      const state = waitKindOf(o.wait.key).check(o.wait.spec, ctx.facts, t0, first);
      o.now = state.now;
      if (state.met) o.ms = elapsed;
    }
    if (outcomes.every((o) => o.ms !== undefined) || elapsed > withinMs || ctx.signal.aborted) return outcomes;
    await new Promise((r) => setTimeout(r, 25));
  }
}

export function actionStep<A, F extends z.ZodRawShape>(def: ActionDef<A, F>): StepKind<ActionSpec<A>, CommonBlock & FieldsOf<F>> {
  type B = CommonBlock & FieldsOf<F>;
  const schema = z.strictObject({ name: StepName, kind: z.literal(def.kind), ...def.fields, ...common }).describe(def.description) as unknown as z.ZodType<B>;
  return stepKind<ActionSpec<A>, B>({
    kind: def.kind,
    schema,
    example: def.example,
    tools: def.tools,
    namespaces: def.namespaces ? (step) => def.namespaces!(step.spec.action) : undefined,
    resolve(b, ctx) {
      const action = def.resolveAction(b, ctx);
      const waits = [...(def.impliedWaits?.(b, ctx) ?? []), ...resolveWaits(b.until, ctx, ['until'])];
      const probe = ctx.lab.experiment?.probes.length ? ctx.probe(b.then?.probe, ['then', 'probe']) : undefined;
      if (b.then && !probe) ctx.report(['then'], "then: judges a probe's traffic, and this experiment has no probes");
      if (b.then) checkSamples(ctx, probe, b.then.samples, ['then', 'samples']);
      if (b.max_failed !== undefined && !probe) ctx.report(['max_failed'], "max_failed counts a probe's failures, and this experiment has no probes");
      return {
        action,
        waits,
        withinMs: b.within_ms,
        probe,
        maxFailed: b.max_failed,
        then: b.then ? { samples: b.then.samples, expect: resolveExpect(b.then.expect, ['then', 'expect'], ctx) } : undefined,
      };
    },
    run: (step, ctx) => runAction(def, step, ctx),
    finish: def.finish ? (step, ctx) => def.finish!(step.spec.action, ctx) : undefined,
    explain: (step, ctx) => [
      ...('live' in def ? def.live.explain(step.spec.action, ctx) : def.ops(step.spec.action, ctx.lab).map(opToShell)),
      ...explainJudgement(step.spec, def.bounded !== false),
    ],
  });
}

/** What a step waits for and judges, as comments. */
function explainJudgement<A>(spec: ActionSpec<A>, bounded: boolean): string[] {
  return [
    ...(spec.waits.length ? [`# then waits, at most ${spec.withinMs} ms, until: ${spec.waits.map((w) => waitKindOf(w.key).describe(w.spec)).join('; ')}`] : []),
    ...(bounded ? spec.waits : []).flatMap((w) => {
      const b = waitKindOf(w.key).bound?.(w.spec);
      const tolerance = `${BOUND_TOLERANCE.ratio * 100}% + ${BOUND_TOLERANCE.ms} ms`;
      return b ? [`# fails if "${waitKindOf(w.key).describe(w.spec)}" takes over ${b.ms} ms + ${tolerance} (${b.why})`] : [];
    }),
    ...(spec.maxFailed !== undefined ? [`# passes only if at most ${spec.maxFailed} of probe ${spec.probe}'s requests fail during the step`] : []),
    ...(spec.then ? [`# then judges probe ${spec.probe}'s next ${spec.then.samples} replies: ${describeExpectation(spec.then.expect)}`] : []),
  ];
}

/** "alternate between server_81, server_82; none may fail" */
export function describeExpectation(e: Expectation): string {
  return [
    e.alternate ? `alternate between ${e.alternate.join(', ')}` : '',
    e.only ? `only ${e.only.join(', ')}` : '',
    e.minFailed !== undefined ? `at least ${e.minFailed} fail` : '',
    e.maxFailed ? `at most ${e.maxFailed} fail` : 'none may fail',
  ]
    .filter(Boolean)
    .join('; ');
}

async function runAction<A, F extends z.ZodRawShape>(def: ActionDef<A, F>, step: LabStep<ActionSpec<A>>, ctx: StepContext): Promise<CheckResult> {
  const { spec } = step;
  const t0 = Date.now();
  await ctx.apply('live' in def ? await def.live.ops(spec.action, ctx.lab, ctx) : def.ops(spec.action, ctx.lab));
  def.applied?.(spec.action, ctx);
  const applied = Date.now() - t0;
  const outcomes = await waitAll(spec.waits, ctx, t0, spec.withinMs);
  const figures: Record<string, number> = {};
  for (const o of outcomes) {
    const kind = waitKindOf(o.wait.key);
    let name = kind.figure(o.wait.spec);
    for (let i = 2; name in figures; i++) name = kind.figure(o.wait.spec).replace(/_ms$/, `_${i}_ms`);
    figures[name] = o.ms ?? Date.now() - t0;
    o.bound = def.bounded === false ? undefined : kind.bound?.(o.wait.spec);
    if (o.bound) figures[name.replace(/_ms$/, '_bound_ms')] = o.bound.ms;
  }
  const unmet = outcomes.filter((o) => o.ms === undefined);
  if (unmet.length > 0) {
    const why = unmet.map((o) => `${waitKindOf(o.wait.key).describe(o.wait.spec)}: not within ${spec.withinMs} ms (now ${o.now})`);
    return { name: step.name, ok: false, detail: why.join('; '), ...figures };
  }
  const met = (o: WaitOutcome) => {
    const kind = waitKindOf(o.wait.key);
    return kind.describeMet?.(o.wait.spec, o.now) ?? kind.describe(o.wait.spec);
  };
  const overBound = outcomes.filter((o) => o.bound && o.ms! > boundLimitMs(o.bound));
  const parts = outcomes.length
    ? outcomes.map((o) => `${met(o)} after ${o.ms} ms${o.bound ? ` ${againstBound(o.ms!, o.bound)}` : ''}`)
    : [`${def.done(spec.action)} (${applied} ms)`];
  if (overBound.length > 0) return { name: step.name, ok: false, detail: parts.join('; '), ...figures };
  const feed = spec.probe ? ctx.probe(spec.probe) : undefined;
  if (!feed) return { name: step.name, ok: true, detail: parts.join('; '), ...figures };

  const after = spec.then ? await feed.next(spec.then.samples, samplesTimeout(feed, spec.then.samples)) : [];
  const verdict = spec.then ? judgeTraffic(after, spec.then.expect) : undefined;
  const window = feed.sentSince(t0);
  const failures = window.filter((s) => !s.ok);
  const kinds = countBy(failures.map((s) => s.error ?? 'failed'));
  const short = spec.then && after.length < spec.then.samples ? `; only ${after.length} of ${spec.then.samples} probes came back` : '';
  const tooMany = spec.maxFailed !== undefined && failures.length > spec.maxFailed ? `; more than the ${spec.maxFailed} allowed` : '';
  // The experiment's other probes, measured over the same time.
  const others = (ctx.lab.experiment?.probes ?? [])
    .filter((p) => p.name !== spec.probe)
    .flatMap((p) => {
      const w = ctx.probe(p.name)?.sentSince(t0) ?? [];
      const failed = w.filter((s) => !s.ok).length;
      return [{ name: p.name, failed, requests: w.length, outage: longestOutage(w) }];
    });
  return {
    name: step.name,
    ok: (verdict?.ok ?? true) && !short && !tooMany,
    // A step over before any probe was sent says nothing of the traffic ("0 of 0").
    detail: `${parts.join('; ')}${window.length ? `; ${failures.length} of ${window.length} requests failed meanwhile` : ''}${failures.length ? ` (${kinds})` : ''}${tooMany}${others
      .filter((o) => o.requests > 0)
      .map((o) => `; ${o.name}: ${o.failed} of ${o.requests} failed, longest outage ${o.outage} ms`)
      .join('')}${verdict ? `; then ${verdict.detail}` : ''}${short}`,
    ...figures,
    failed_requests: failures.length,
    requests: window.length,
    outage_ms: longestOutage(window),
    // A second outage is a story of its own (pitfall 9: a rebuilt amphora taking the VIP back).
    outages: outages(window).length,
    ...Object.fromEntries(
      others.flatMap((o) => [
        [`${o.name}_failed_requests`, o.failed],
        [`${o.name}_outage_ms`, o.outage],
      ]),
    ),
    ...(verdict ? { then_p50_ms: verdict.p50_ms } : {}),
  };
}
