// Judging a window of probe results against a step's expectation. Pure.
import type { Expectation } from '../model.js';
import type { Sample } from '../sample.js';
import { bySendTime, percentile } from '../stats.js';

export interface TrafficVerdict {
  ok: boolean;
  detail: string;
  requests: number;
  failed: number;
  p50_ms: number;
  max_ms: number;
}

export function judgeTraffic(samples: Sample[], expect: Expectation): TrafficVerdict {
  // A round robin alternates in the order the requests reached it: the order they were sent.
  const ordered = [...samples].sort(bySendTime);
  const good = ordered.filter((s) => s.ok);
  const failed = ordered.length - good.length;
  const bodies = good.map((s) => s.body ?? '');
  const problems: string[] = [];
  if (failed > expect.maxFailed) {
    const errors = [...new Set(ordered.filter((s) => !s.ok).map((s) => s.error ?? 'failed'))];
    problems.push(`${failed} failed (${errors.join(', ')}), at most ${expect.maxFailed} allowed`);
  }
  if (expect.minFailed !== undefined && failed < expect.minFailed) {
    problems.push(`only ${failed} failed, at least ${expect.minFailed} expected`);
  }
  let shape =
    expect.minFailed !== undefined
      ? `${failed} failed as expected (${[...new Set(ordered.filter((s) => !s.ok).map((s) => s.error ?? 'failed'))].join(', ')})`
      : '';
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
        ? `${good.length}/${ordered.length} ok, ${shape}${good.length ? ` (p50 ${verdict.p50_ms} ms)` : ''}`
        : `${good.length}/${ordered.length} ok; ${problems.join('; ')}`,
    ...verdict,
  };
}

/** "HTTP 503 x3, ECONNRESET x1" */
export function countBy(items: string[]): string {
  const counts = new Map<string, number>();
  for (const i of items) counts.set(i, (counts.get(i) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${k} x${n}`).join(', ');
}
