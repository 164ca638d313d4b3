// What a wait is: a predicate over the observers' facts, checked until it holds or its step's
// deadline passes. One module each under src/waits/ and a line in src/waits/all.ts, or, for a
// wait on what only one service kind has, in the kind's folder and its `waits`.
import type { z } from 'zod';
import type { Facts } from './facts.js';
import type { StepResolveContext } from './step-kind.js';

export interface WaitState {
  met: boolean;
  /** What it sees now, for a failure message ("UP 2/3", "held by lb1, lb2"). */
  now: string;
}

export interface WaitKind<Spec = unknown, Block = unknown> {
  /** The field that tells this wait from the others in an `until` list. */
  key: string;
  schema: z.ZodType<Block>;
  example: string;
  resolve(block: Block, ctx: StepResolveContext): Spec;
  /** The observers whose facts it reads (a service kind's is named after the kind); polled
   *  fast while it waits. */
  needs(spec: Spec): string[];
  /** `since`: when the step's action began (ms since the epoch). */
  check(spec: Spec, facts: Facts, since: number): WaitState;
  /** "haproxy saw vm2 on qlbaas-01/lb DOWN" (a time follows). */
  describe(spec: Spec): string;
  /** Once met, what it found, when that says more than describe() (which node won). */
  describeMet?(spec: Spec, now: string): string;
  /** Figures it knows before waiting (a protocol's bound), reported beside its time. */
  figures?(spec: Spec): Record<string, number>;
  /** The figure its time is reported as (ends in _ms). */
  figure(spec: Spec): string;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyWaitKind = WaitKind<any, any>;

export function waitKind<Spec, Block>(k: WaitKind<Spec, Block>): WaitKind<Spec, Block> {
  return k;
}

/** A wait of some kind, resolved. */
export interface LabWait {
  key: string;
  spec: unknown;
}
