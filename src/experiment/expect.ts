// Judging a window of probe results against a step's expectation. Pure.
import type { Expectation } from '../model.js';

export interface Sample {
  seq: number;
  /** Send time, ms since the epoch. */
  t: number;
  ok: boolean;
  ms: number;
  body?: string;
  error?: string;
}

export interface TrafficVerdict {
  ok: boolean;
  detail: string;
  requests: number;
  failed: number;
  p50_ms: number;
  max_ms: number;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function judgeTraffic(samples: Sample[], expect: Expectation): TrafficVerdict {
  const ordered = [...samples].sort((a, b) => a.seq - b.seq);
  const good = ordered.filter((s) => s.ok);
  const failed = ordered.length - good.length;
  const bodies = good.map((s) => s.body ?? '');
  const problems: string[] = [];
  if (failed > expect.maxFailed) {
    const errors = [...new Set(ordered.filter((s) => !s.ok).map((s) => s.error ?? 'failed'))];
    problems.push(`${failed} failed (${errors.join(', ')}), at most ${expect.maxFailed} allowed`);
  }
  let shape = '';
  if (expect.alternate) {
    const allowed = new Set(expect.alternate);
    const strangers = [...new Set(bodies.filter((b) => !allowed.has(b)))];
    const repeats = bodies.filter((b, i) => i > 0 && b === bodies[i - 1]).length;
    const missing = expect.alternate.filter((b) => !bodies.includes(b));
    if (strangers.length) problems.push(`unexpected replies ${strangers.join(', ')}`);
    if (missing.length) problems.push(`no reply from ${missing.join(', ')}`);
    if (repeats) problems.push(`${repeats} replies repeated the previous server`);
    shape = `alternating ${expect.alternate.join('/')}`;
  }
  if (expect.only) {
    const allowed = new Set(expect.only);
    const strangers = [...new Set(bodies.filter((b) => !allowed.has(b)))];
    if (strangers.length) problems.push(`replies from ${strangers.join(', ')}, expected only ${expect.only.join(', ')}`);
    shape = `all from ${expect.only.join('/')}`;
  }
  const latencies = good.map((s) => s.ms);
  const verdict = {
    requests: ordered.length,
    failed,
    p50_ms: percentile(latencies, 50),
    max_ms: latencies.length ? Math.max(...latencies) : 0,
  };
  return {
    ok: problems.length === 0,
    detail:
      problems.length === 0
        ? `${good.length}/${ordered.length} ok, ${shape} (p50 ${verdict.p50_ms} ms)`
        : `${good.length}/${ordered.length} ok; ${problems.join('; ')}`,
    ...verdict,
  };
}

/** The longest run of consecutive failed probes, as the time from its first send to the next
 *  good send: how long a client saw no service. */
export function longestOutage(samples: Sample[]): number {
  const ordered = [...samples].sort((a, b) => a.seq - b.seq);
  let longest = 0;
  let start: number | undefined;
  for (const s of ordered) {
    if (!s.ok && start === undefined) start = s.t;
    if (s.ok && start !== undefined) {
      longest = Math.max(longest, s.t - start);
      start = undefined;
    }
  }
  if (start !== undefined && ordered.length) longest = Math.max(longest, ordered[ordered.length - 1].t - start);
  return longest;
}
