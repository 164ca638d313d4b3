// Where a build's time went: the chain of tasks that decided when it ended. From the task that
// ended last, back through, at each step, the dependency that ended last: each link says how
// long it waited after that dependency (the engine's turn, a daemon's readiness poll) and how
// long it ran. What is not on the chain ran beside it and cost nothing.
import type { TaskTiming } from '../kinds/events.js';

export interface PathLink {
  id: string;
  title: string;
  /** From the dependency's end (or the build's start) to its own start. */
  waitedMs: number;
  ranMs: number;
}

export function criticalPath(tasks: readonly TaskTiming[], appliedAtMs: number): PathLink[] {
  const byId = new Map(tasks.map((t) => [t.id, t]));
  const latest = (ts: readonly (TaskTiming | undefined)[]) => ts.filter((t): t is TaskTiming => t !== undefined).sort((a, b) => b.endMs - a.endMs)[0];
  const path: PathLink[] = [];
  for (let t = latest(tasks); t;) {
    const dep = latest(t.after.map((id) => byId.get(id)));
    path.push({ id: t.id, title: t.title, waitedMs: t.startMs - (dep?.endMs ?? appliedAtMs), ranMs: t.endMs - t.startMs });
    t = dep;
  }
  return path.reverse();
}
