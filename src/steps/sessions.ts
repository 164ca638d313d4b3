// The TCP sessions a sessions probe holds, one per floating IP, through a failure: which flowed
// again and when, and which were lost (reset, or still quiet when the step ends). A session
// comes back later than its floating IP answers a ping: TCP retransmits on its own backed-off
// clock (about 0.2, 0.6, 1.4, 3, 6.2, 12.6, 25.4, 51 s after the last good segment).
import type { StepContext, StepResolveContext } from '../kinds/step-kind.js';
import type { Sample } from '../sample.js';
import { percentile } from '../stats.js';

/** A step's sessions probe and the addresses it holds sessions to. */
export interface SessionsRef {
  probe: string;
  targets: string[];
}

/** The probe named there, if it is a sessions probe; otherwise a reported problem. */
export function resolveSessions(name: string | undefined, ctx: StepResolveContext): SessionsRef | undefined {
  if (name === undefined) return undefined;
  const probe = ctx.probe(name, ['sessions']);
  const found = ctx.lab.experiment?.probes.find((p) => p.name === probe);
  if (probe === undefined || !found) return undefined;
  if (!found.sessions) {
    ctx.report(['sessions'], `probe ${probe} holds no sessions: give it sessions: { port: N }`);
    return undefined;
  }
  return { probe, targets: found.sessions.targets };
}

export interface SessionsOutcome {
  /** Sessions to the addresses asked about. */
  of: number;
  /** Reset, or still quiet at the end. */
  lost: number;
  /** Never quiet. */
  unaffected: number;
  /** For each session not lost: ms from `since` until it flowed again (0 if never quiet). */
  backMs: number[];
}

const stalled = (s: Sample, ip: string) => (s.quiet?.includes(ip) ?? false) || (s.dead?.includes(ip) ?? false);

/** How each session to `ips` fared in the samples sent from `since` on. */
export function sessionsSince(samples: readonly Sample[], ips: string[], since: number): SessionsOutcome {
  const after = samples.filter((s) => s.t >= since).sort((a, b) => a.t - b.t);
  const last = after.at(-1);
  let lost = 0;
  let unaffected = 0;
  const backMs: number[] = [];
  for (const ip of ips) {
    const first = after.findIndex((s) => stalled(s, ip));
    if (first < 0) {
      unaffected++;
      backMs.push(0);
      continue;
    }
    const back = after.slice(first).find((s) => !stalled(s, ip));
    if (!back || last?.dead?.includes(ip)) lost++;
    else backMs.push(back.t - since);
  }
  return { of: ips.length, lost, unaffected, backMs };
}

/** Until every session to `ips` flows or died in the newest sample, or the deadline (ms since
 *  the epoch): a session retransmitting on a long back-off is given its chance. */
export async function sessionsSettled(ctx: StepContext, ref: SessionsRef, ips: string[], deadline: number): Promise<void> {
  const feed = ctx.probe(ref.probe);
  if (!feed) return;
  const waiting = () => {
    const last = feed.samples.at(-1);
    return ips.some((ip) => last?.quiet?.includes(ip));
  };
  while (!ctx.signal.aborted && Date.now() < deadline && waiting()) await new Promise((r) => setTimeout(r, feed.intervalMs));
}

/** The sessions of the addresses the probe holds, from `since`, as a row's figures. */
export function sessionFigures(ctx: StepContext, ref: SessionsRef, ips: string[], since: number): SessionsOutcome & { p50_ms: number; max_ms: number } {
  const held = ips.filter((ip) => ref.targets.includes(ip));
  const outcome = sessionsSince(ctx.probe(ref.probe)?.samples ?? [], held, since);
  return { ...outcome, p50_ms: percentile(outcome.backMs, 50), max_ms: outcome.backMs.length ? Math.max(...outcome.backMs) : 0 };
}

/** A row's sessions cell, when the step held sessions. */
export function rowSessions(f: ReturnType<typeof sessionFigures> | undefined): { sessions?: { of: number; lost: number; p50_ms: number; max_ms: number } } {
  return f && f.of > 0 ? { sessions: { of: f.of, lost: f.lost, p50_ms: f.p50_ms, max_ms: f.max_ms } } : {};
}
