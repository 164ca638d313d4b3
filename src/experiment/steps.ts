// The step kinds an experiment can use, one function each. A new kind is a new entry here plus
// its schema in scenario/schema.ts.
import { natCounters } from '../drivers/iptables.js';
import { stopByToken } from '../drivers/procs.js';
import type { HostDriver } from '../engine/driver.js';
import type { Engine } from '../engine/engine.js';
import type { Lab, LabStep } from '../model.js';
import { findService } from '../model.js';
import type { HaproxyWatch } from '../observe/haproxy-watch.js';
import { serviceStartOps } from '../plan/plan.js';
import { floatingIpRules } from '../render/iptables-rules.js';
import type { CheckResult } from '../report/events.js';
import { judgeTraffic, longestOutage } from './expect.js';
import type { Prober } from './prober-client.js';

export interface StepContext {
  lab: Lab;
  driver: HostDriver;
  engine: Engine;
  prober: Prober;
  watch: HaproxyWatch;
  /** nat counters per router namespace, read before the first step. */
  baseline: Map<string, Map<string, number>>;
}

type StepOf<K extends LabStep['kind']> = Extract<LabStep, { kind: K }>;
type StepRunner<K extends LabStep['kind']> = (step: StepOf<K>, ctx: StepContext) => Promise<CheckResult>;

/** "HTTP 503 x3, ECONNRESET x1" */
export function countBy(items: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} x${n}`).join(', ');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Samples come at the probe interval; allow for that plus the probe timeout. */
function samplesTimeout(ctx: StepContext, samples: number): number {
  const p = ctx.lab.experiment!.probe;
  return samples * p.intervalMs * 2 + p.timeoutMs + 2000;
}

async function traffic(step: StepOf<'traffic'>, ctx: StepContext): Promise<CheckResult> {
  const samples = await ctx.prober.next(step.samples, samplesTimeout(ctx, step.samples));
  const v = judgeTraffic(samples, step.expect);
  if (samples.length < step.samples) {
    return { name: step.name, ...v, ok: false, detail: `only ${samples.length} of ${step.samples} probes came back` };
  }
  return { name: step.name, ...v };
}

async function waitForMember(step: StepOf<'stop-service' | 'start-service'>, ctx: StepContext, want: 'UP' | 'DOWN') {
  const deadline = Date.now() + step.withinMs;
  for (;;) {
    await ctx.watch.poll();
    const status = ctx.watch.status(step.watch, step.watch.member.id) ?? 'unknown';
    // "UP 1/3" is still up (going down); "DOWN 1/2" is still down (going up).
    if (status.split(' ')[0] === want) return { seen: true, status };
    if (Date.now() > deadline) return { seen: false, status };
    await sleep(25);
  }
}

async function toggleService(step: StepOf<'stop-service' | 'start-service'>, ctx: StepContext): Promise<CheckResult> {
  const svc = findService(ctx.lab, step.service.node, step.service.name)!;
  const want = step.kind === 'stop-service' ? 'DOWN' : 'UP';
  const t0 = Date.now();
  if (step.kind === 'stop-service') await stopByToken(svc.token);
  else await ctx.engine.runLane(serviceStartOps(svc));
  const change = await waitForMember(step, ctx, want);
  const noticedMs = Date.now() - t0;
  const member = `${step.watch.member.node} on ${step.watch.node}/${step.watch.service}`;
  if (!change.seen) {
    return {
      name: step.name,
      ok: false,
      detail: `${member} still ${change.status} after ${step.withinMs} ms`,
      [want === 'DOWN' ? 'detect_ms' : 'recover_ms']: noticedMs,
    };
  }
  const after = await ctx.prober.next(step.then.samples, samplesTimeout(ctx, step.then.samples));
  const v = judgeTraffic(after, step.then.expect);
  const window = ctx.prober.sentSince(t0);
  const failures = window.filter((s) => !s.ok);
  const failed = failures.length;
  const kinds = countBy(failures.map((s) => s.error ?? 'failed'));
  const figure = want === 'DOWN' ? 'detect_ms' : 'recover_ms';
  return {
    name: step.name,
    ok: v.ok,
    detail: `haproxy saw ${member} ${want} after ${noticedMs} ms; ${failed} of ${window.length} requests failed meanwhile${failed ? ` (${kinds})` : ''}; then ${v.detail}`,
    [figure]: noticedMs,
    failed_requests: failed,
    requests: window.length,
    outage_ms: longestOutage(window),
    then_p50_ms: v.p50_ms,
  };
}

async function httpGet(step: StepOf<'http-get'>, ctx: StepContext): Promise<CheckResult> {
  const t0 = performance.now();
  const r = await ctx.driver.run(['ip', 'netns', 'exec', step.from, 'curl', '-s', '-m', '3', step.url], { allowFailure: true });
  const ms = Math.round(performance.now() - t0);
  const body = r.stdout.trim();
  const ok = r.exitCode === 0 && body === step.expectBody;
  return {
    name: step.name,
    ok,
    detail: r.exitCode !== 0
      ? `curl from ${step.from} to ${step.url} failed (exit ${r.exitCode})`
      : `${step.from} -> ${step.url} answered ${JSON.stringify(body)}${ok ? '' : `, expected ${JSON.stringify(step.expectBody)}`}`,
    body,
    ms,
  };
}

async function natCountersStep(step: StepOf<'nat-counters'>, ctx: StepContext): Promise<CheckResult> {
  const before = ctx.baseline.get(step.router) ?? new Map<string, number>();
  const after = await natCounters(step.router);
  const rules = floatingIpRules(step.floating, step.fixed);
  const grew = (rule: string) => (after.has(rule) ? after.get(rule)! - (before.get(rule) ?? 0) : undefined);
  const dnat = grew(rules.dnat);
  const snat = grew(rules.snat);
  const missing = [dnat === undefined ? rules.dnat : '', snat === undefined ? rules.snat : ''].filter(Boolean);
  const ok = missing.length === 0 && dnat! > 0 && snat! > 0;
  return {
    name: step.name,
    ok,
    detail: missing.length
      ? `rule not found in ${step.router}: ${missing.join('; ')}`
      : `DNAT ${step.floating}->${step.fixed} counted ${dnat} new flows, float-snat counted ${snat}${ok ? '' : ' (expected both > 0)'}`,
    dnat_packets: dnat ?? 0,
    snat_packets: snat ?? 0,
  };
}

export const STEP_KINDS: { [K in LabStep['kind']]: StepRunner<K> } = {
  traffic,
  'stop-service': toggleService,
  'start-service': toggleService,
  'http-get': httpGet,
  'nat-counters': natCountersStep,
};

export function runStep(step: LabStep, ctx: StepContext): Promise<CheckResult> {
  return (STEP_KINDS[step.kind] as StepRunner<typeof step.kind>)(step as never, ctx);
}
