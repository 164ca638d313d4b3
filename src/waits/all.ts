// The waits a step can use in `until`: the generic ones, one line each, then those a service
// kind brings for what only it has (keepalived's VRRP states).
import { z } from 'zod';
import type { AnyWaitKind } from '../kinds/wait-kind.js';
import { addressWait } from './address.js';
import { dropsWait } from './drops.js';
import { memberWait } from './member.js';
import { probeWait } from './probe.js';
import { SERVICE_KINDS } from '../services/all.js';

// One wait a line, the service kinds' own in their place.
// prettier-ignore
export const WAIT_KINDS: readonly AnyWaitKind[] = [
  memberWait,
  ...SERVICE_KINDS.flatMap((k) => k.waits ?? []),
  addressWait,
  probeWait,
  dropsWait,
];

export function waitKindOf(key: string): AnyWaitKind {
  const k = WAIT_KINDS.find((w) => w.key === key);
  if (!k) throw new Error(`no wait ${key}`);
  return k;
}

/** Which wait a block is: the first whose key it carries. */
export function waitKindFor(block: object): AnyWaitKind | undefined {
  return WAIT_KINDS.find((w) => w.key in block);
}

export const Wait = z
  .union(WAIT_KINDS.map((w) => w.schema) as [z.ZodType, z.ZodType, ...z.ZodType[]], {
    error: `a wait: one of ${WAIT_KINDS.map((w) => `{ ${w.key}: ... }`).join(', ')}`,
  })
  .meta({ title: 'wait' });
