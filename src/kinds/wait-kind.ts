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
  /** It counts what changed during the step (a drop counter): check() is then given `first`. */
  countsDuringStep?: boolean;
  /** `since`: when the step's action began (ms since the epoch); `first`: the facts as they
   *  were at the step's first check, for a kind that countsDuringStep. */
  check(spec: Spec, facts: Facts, since: number, first?: Facts): WaitState;
  /** "haproxy saw vm2 on qlbaas-01/lb DOWN" (a time follows). */
  describe(spec: Spec): string;
  /** Once met, what it found, when that says more than describe() (which node won). */
  describeMet?(spec: Spec, now: string): string;
  /** The protocol's bound on its time when the step's action causes it (a VRRP master-down
   *  interval, haproxy's inter x fall): the check fails beyond it (BOUND_TOLERANCE). */
  bound?(spec: Spec): WaitBound | undefined;
  /** The figure its time is reported as (ends in _ms). */
  figure(spec: Spec): string;
}

/** A protocol's bound on a wait's time, and where the number comes from. */
export interface WaitBound {
  ms: number;
  /** "3 x advert_int 2 s + (256 - 50) / 256 s" */
  why: string;
}

/** What a measured time may exceed its bound by: the observers' polling and the step's own
 *  action (links going down, a process killed) take some time, and timers fire a little late
 *  on a loaded machine. Beyond it, the lab is not behaving as the protocol says. */
export const BOUND_TOLERANCE = { ratio: 0.1, ms: 500 };

/** The most a time may be and still be within the bound. */
export const boundLimitMs = (b: WaitBound) => Math.round(b.ms * (1 + BOUND_TOLERANCE.ratio) + BOUND_TOLERANCE.ms);

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
