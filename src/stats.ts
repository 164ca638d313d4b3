// Small statistics over probe results, shared by the checks and the screen. Pure.
import type { Sample } from './sample.js';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** The longest run of consecutive failed probes, as the time from its first send to the next
 *  good send: how long a client saw no service. */
export function longestOutage(samples: readonly Sample[]): number {
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
