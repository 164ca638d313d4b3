// What a step kind is: one module under src/steps/ (its block, its resolver, how it runs and
// judges), registered by one line in src/steps/all.ts. Most steps are an action (ops with their
// undo, applied and journaled by the engine), waits (predicates over the observers' facts, with
// a deadline) and a judgement with measured `_ms` figures: src/steps/action-step.ts builds those.
import type { z } from 'zod';
import type { HostDriver } from '../host.js';
import type { Datapath, Lab, LabNode, LabPort, LabService, LabStep } from '../model.js';
import type { Facts } from './facts.js';
import type { Op } from './ops.js';
import type { CheckResult, Emit } from './events.js';
import type { Sample } from '../sample.js';
import type { Path, Report } from './path.js';
import type { Tool } from './tool.js';

export interface StepResolveContext {
  lab: Lab;
  /** A problem in this step's block; the path is relative to the block. */
  report: Report;
  unknown(what: string, name: string, known: string[]): string;
  /** The node named there, or a reported problem. */
  node(name: string, path: Path): Lab['nodes'][number] | undefined;
  /** "vm2/web" -> the service, or a reported problem. */
  service(ref: string, path: Path): LabService | undefined;
  /** A load balancer service's members, as its kind lists them; undefined for other kinds. */
  membersOf(service: LabService): { id: string; node: string }[] | undefined;
  /** "lb1/eth0" -> the port, or a reported problem. */
  port(ref: string, path: Path): LabPort | undefined;
  /** The probe named there (the first when no name is given), or a reported problem. */
  probe(name: string | undefined, path: Path): string | undefined;
  /** The same context for a part of the block: its problems are reported under `path`. */
  within(path: Path): StepResolveContext;
  /** add-node: a node block as a scenario writes it under nodes:, held to the same schema and
   *  rules against the lab as it is at this step; the steps after it see the node. */
  addNode(block: unknown, path: Path): LabNode | undefined;
  /** remove-node: the steps after it no longer see the node (nor its addresses as taken). */
  removeNode(name: string, path: Path): LabNode | undefined;
  /** A service as it is from this step on (a pool with a member more); returns it. */
  replaceService(service: LabService, spec: unknown): LabService;
  /** A block checked against a schema, its problems told as the file's are; undefined then. */
  check<T>(schema: z.ZodType<T>, block: unknown, path: Path): T | undefined;
}

/** What `run --explain` knows besides the lab: the datapath `auto` chose. */
export interface ExplainContext {
  lab: Lab;
  datapath: Datapath;
}

/** A probe's results as they arrive. */
export interface ProbeFeed {
  readonly name: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly samples: readonly Sample[];
  /** Results of probes sent at or after `since` (ms since the epoch). */
  sentSince(since: number): Sample[];
  /** The next `count` results of probes sent from now on (fewer if it times out). */
  next(count: number, timeoutMs: number): Promise<Sample[]>;
}

/** What a running step may use. It changes the host only through `apply` (the engine). */
export interface StepContext {
  lab: Lab;
  host: HostDriver;
  /** Applies ops through the engine: journaled, undone at teardown. */
  apply(ops: Op[]): Promise<void>;
  facts: Facts;
  /** Polls these observers now (by id: members, vrrp, addresses, nat). */
  observe(ids: string[]): Promise<void>;
  probe(name: string): ProbeFeed | undefined;
  emit: Emit;
  /** When the observers started (ms since the epoch): events' at_ms count from here. */
  startedAt: number;
  signal: AbortSignal;
  /** The switch's datapath: a node that joins at run time is wired for it. */
  datapath: Datapath;
  /** The lab changed at run time: observers, the screen and the lab's record follow. */
  topology: {
    add(node: LabNode): void;
    remove(name: string): void;
    /** A service's spec from now on (a pool's members). */
    replaceService(service: LabService): void;
  };
}

export interface StepKind<Spec = unknown, Block extends { name: string; kind: string } = { name: string; kind: string }> {
  kind: string;
  schema: z.ZodType<Block>;
  /** A minimal valid block, shown in the generated reference and validated by the tests. */
  example: string;
  tools?: Tool[];
  /** Namespaces it will create (add-node): preflight refuses a lab where one exists already,
   *  as it does for the file's own nodes, so teardown never removes somebody else's. */
  namespaces?(step: LabStep<Spec>): string[];
  resolve(block: Block, ctx: StepResolveContext): Spec;
  /** Before the experiment's traffic starts (a baseline to compare with). */
  prepare?(step: LabStep<Spec>, ctx: StepContext): Promise<void>;
  run(step: LabStep<Spec>, ctx: StepContext): Promise<CheckResult>;
  /** Once every step ran, before the lab is torn down: what a step left running is ended and
   *  read (a capture). Only for a step that ran. */
  finish?(step: LabStep<Spec>, ctx: StepContext): Promise<void>;
  /** What it would do, for `run --explain`: the commands it runs as shell lines, and what it
   *  waits for and judges as comments. Reads nothing from the host. */
  explain(step: LabStep<Spec>, ctx: ExplainContext): string[];
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStepKind = StepKind<any, any>;

export function stepKind<Spec, Block extends { name: string; kind: string }>(k: StepKind<Spec, Block>): StepKind<Spec, Block> {
  return k;
}
