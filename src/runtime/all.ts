// The member runtimes lablb knows: one line each. A new one is a folder beside these and a line
// here (see README, "Adding a kind").
import type { LabNode } from '../model.js';
import { dockerRuntime } from './docker/docker.js';
import { namespaceRuntime } from './netns/runtime.js';
import type { MemberRuntime } from './runtime.js';

// One runtime a line: adding one is adding its line.
// prettier-ignore
export const RUNTIMES: readonly MemberRuntime[] = [
  namespaceRuntime,
  dockerRuntime,
];

export function runtimeNamed(name: string): MemberRuntime {
  const r = RUNTIMES.find((x) => x.name === name);
  if (!r) throw new Error(`no member runtime ${name}`);
  return r;
}

export const runtimeOf = (node: Pick<LabNode, 'runtime'>): MemberRuntime => runtimeNamed(node.runtime);

/** The lab's nodes, grouped by their runtime (runtimes without nodes left out). */
export function byRuntime(nodes: readonly LabNode[]): { runtime: MemberRuntime; nodes: LabNode[] }[] {
  return RUNTIMES.map((runtime) => ({ runtime, nodes: nodes.filter((n) => n.runtime === runtime.name) })).filter((g) => g.nodes.length > 0);
}
