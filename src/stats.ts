// Small statistics over probe results, shared by the checks and the screen. Pure.
import type { Sample } from './sample.js';

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Probes in the order they were sent. A probe is numbered (seq) when it ends, so a slow one
 *  (a timeout, a reply that waited for ARP) is numbered after quicker ones sent later: by seq,
 *  one outage looks like several and a round robin looks like a repeat. */
export const bySendTime = (a: Sample, b: Sample): number => a.t - b.t || a.seq - b.seq;

/** Each run of consecutive failed probes, in the order sent, as the time from its first send to
 *  the next good send (to the last send, if still going): how long a client saw no service. */
export function outages(samples: readonly Sample[]): number[] {
  const ordered = [...samples].sort(bySendTime);
  const found: number[] = [];
  let start: number | undefined;
  for (const s of ordered) {
    if (!s.ok && start === undefined) start = s.t;
    if (s.ok && start !== undefined) {
      found.push(s.t - start);
      start = undefined;
    }
  }
  if (start !== undefined) found.push(ordered[ordered.length - 1].t - start);
  return found;
}

/** The longest of the outages. */
export function longestOutage(samples: readonly Sample[]): number {
  return Math.max(0, ...outages(samples));
}
