// "address A is held by exactly N nodes" (and, when named, exactly which): where a VIP or
// floating IP lives now. A named holder whose service claims the address lends its bound.
import { z } from 'zod';
import { Ipv4, NsName } from '../kinds/fields.js';
import { waitKind, type WaitBound } from '../kinds/wait-kind.js';
import { holdersOf } from '../kinds/facts.js';
import { serviceKindOf } from '../services/all.js';

export interface AddressWaitSpec {
  address: string;
  count: number;
  holders?: string[];
  /** When a named holder's service claims it (a VRRP VIP): that service's bound on taking it. */
  bound?: WaitBound;
}

const Block = z
  .strictObject({
    address: Ipv4,
    held_by: z.array(NsName).max(64).optional().describe('exactly these nodes hold it (none: [])'),
    holders: z.int().min(0).optional().describe('exactly this many nodes hold it (default: the length of held_by, else 1)'),
  })
  .describe('Until an address is held by exactly these (or this many) nodes');

export const addressWait = waitKind<AddressWaitSpec, z.infer<typeof Block>>({
  key: 'address',
  schema: Block,
  example: '{ address: 10.1.0.100, held_by: [lb2] }',
  resolve(b, ctx) {
    b.held_by?.forEach((n, i) => ctx.node(n, ['held_by', i]));
    if (b.held_by && b.holders !== undefined && b.holders !== b.held_by.length) {
      ctx.report(['holders'], `holders: ${b.holders} contradicts held_by (${b.held_by.length} nodes)`);
    }
    const bounds = (b.held_by ?? [])
      .flatMap((n) => ctx.lab.nodes.find((x) => x.name === n)?.services ?? [])
      .flatMap((svc) => serviceKindOf(svc.kind).claimBound?.(svc, b.address) ?? []);
    const bound = bounds.sort((x, y) => y.ms - x.ms)[0];
    return {
      address: b.address,
      count: b.holders ?? b.held_by?.length ?? 1,
      holders: b.held_by ? [...b.held_by].sort() : undefined,
      ...(bound ? { bound } : {}),
    };
  },
  bound: (spec) => spec.bound,
  needs: () => ['addresses'],
  check(spec, facts) {
    const now = holdersOf(facts, spec.address);
    const met = now.length === spec.count && (!spec.holders || spec.holders.join(' ') === now.join(' '));
    return { met, now: now.length ? `held by ${now.join(', ')}` : 'held by no node' };
  },
  describe: (spec) =>
    spec.holders
      ? `${spec.address} held by ${spec.holders.length ? `${spec.holders.join(', ')} only` : 'no node'}`
      : `${spec.address} held by ${spec.count} node${spec.count === 1 ? '' : 's'}`,
  describeMet: (spec, now) =>
    spec.holders ? `${spec.address} held by ${spec.holders.length ? `${spec.holders.join(', ')} only` : 'no node'}` : `${spec.address} ${now}`,
  figure: () => 'address_ms',
});
