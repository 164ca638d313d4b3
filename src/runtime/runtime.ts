// What a member runtime is: where a node lives (a namespace of its own, a container's) and
// everything lablb does that depends on it. One folder under src/runtime/ each, one line in
// src/runtime/all.ts; nothing outside them asks which runtime a node uses. Whatever the runtime,
// a member has a network namespace named after its node: ports, addresses, routes and services
// reach it there (src/runtime/netns/netns.ts spells how).
import type { z } from 'zod';
import type { HostDriver } from '../host.js';
import type { Report } from '../kinds/path.js';
import type { JournalEntry, Op, Task } from '../kinds/ops.js';
import type { Tool } from '../kinds/tool.js';
import type { Lab, LabNode } from '../model.js';

/** What a runtime's own op is given when the engine runs it. */
export interface RuntimeOpContext {
  host: HostDriver;
  /** Journals what is about to exist, before it does. */
  record(entry: JournalEntry): void;
}

/** What teardown got done for a runtime's members. */
export interface RuntimeTeardown {
  removed: number;
  /** Entries that could not be removed (kept in the journal for `clean`), with why. */
  failed: { entry: JournalEntry; message: string }[];
}

export interface MemberRuntime {
  /** As a scenario's `runtime:` names it. */
  name: string;
  /** One line for the reference: what such a node is. */
  description: string;
  /** Node-block fields only this runtime takes (a container's image), with their schemas. */
  fields: z.ZodRawShape;
  /** What the runtime makes of those fields, kept on the node as `runtimeSpec`. */
  resolve(block: Record<string, unknown>, node: { lab: string; name: string }, report: Report): unknown;
  /** Whether a step may add or remove such a node while the experiment runs. */
  joinsAtRunTime: boolean;
  /** The host commands it needs when a lab has such a node. */
  tools: Tool[];

  /** Build tasks that bring these nodes to life, each with its network namespace named after
   *  the node by the time the tasks end. */
  create(lab: Lab, nodes: LabNode[]): Task[];
  /** Runs one of its own ops (a `member` op it made). */
  apply(action: unknown, ctx: RuntimeOpContext): Promise<void>;
  /** An op that runs a command in the member's own world (its container's processes and
   *  files), within the member's limits; undefined when it has no world but the namespace. */
  execOp?(node: LabNode, argv: string[]): Op;
  /** A host tool run in the member's network stack only (ping, tcpdump): the argv. */
  inNetwork(node: LabNode, argv: string[]): string[];
  /** The argv that gives a person a command in the member (`lablb exec`). */
  enter(node: LabNode, argv: string[], tty: boolean, host: HostDriver): Promise<string[]>;
  /** What must hold on the host before a lab with such nodes is built (an engine answering). */
  preflight?(lab: Lab, host: HostDriver): Promise<void>;
  /** Removes the members its journal entries name (namespaces are removed after, by name). */
  teardown?(entries: JournalEntry[], host: HostDriver): Promise<RuntimeTeardown>;
  /** What `lablb doctor` says of the host's readiness for such nodes (an engine answering);
   *  never a failure: a lab without such nodes does not need it. */
  doctor?(host: HostDriver): Promise<{ line: string; json: Record<string, unknown> }>;
  /** What the topology shows beside the node ("docker lablb/busybox:1"). */
  label?(node: LabNode): string | undefined;
}

/** A runtime's own op: what to do, as its runtime reads it, and how a person would type it. */
export function memberOp(runtime: string, action: unknown, shell: string, what: string): Op {
  return { kind: 'member', runtime, action, shell, what };
}
