// "member X is UP/DOWN": a load balancer's view of one member. Any kind that declares members
// (haproxy today) answers it through its memberStatus: the wait knows no kind.
import { z } from 'zod';
import { NsName, ServiceRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import { waitKind, type WaitBound } from '../kinds/wait-kind.js';
import type { LabService } from '../model.js';
import { nearest } from '../suggest.js';
import { serviceKindOf } from '../services/all.js';

export interface MemberWaitSpec {
  loadbalancer: string;
  /** The load balancer's kind: the observer it needs, and who says a member's status. */
  kind: string;
  member: string;
  node: string;
  state: 'UP' | 'DOWN';
  /** Its health checks' timers as a bound, when its kind tells them. */
  bound?: WaitBound;
}

const Block = z
  .strictObject({
    member: z.strictObject({
      loadbalancer: ServiceRef.describe('a load balancer service, as node/name'),
      node: NsName.describe("the node of the member (or the member's id, when a node hosts several)"),
    }),
    state: z.enum(['UP', 'DOWN']),
  })
  .describe('Until a load balancer sees a member UP or DOWN');

/** A wait for the member on `node` (or with that id) of load balancer `lb`, checked to exist. */
export function resolveMemberWait(
  lb: string,
  node: string,
  state: MemberWaitSpec['state'],
  ctx: StepResolveContext,
  path: (string | number)[],
): MemberWaitSpec {
  const svc = ctx.service(lb, [...path, 'loadbalancer']);
  const member = svc ? resolveMember(svc, node, ctx, path) : '';
  const bound = svc && member ? serviceKindOf(svc.kind).memberBound?.(svc, member, state) : undefined;
  return { loadbalancer: lb, kind: svc?.kind ?? '', node, member, state, ...(bound ? { bound } : {}) };
}

/** Checks that the service is a load balancer with a member on `node`; returns its id. */
function resolveMember(svc: LabService, node: string, ctx: StepResolveContext, path: (string | number)[]): string {
  const lb = `${svc.node}/${svc.name}`;
  const members = ctx.membersOf(svc);
  if (!members) {
    ctx.report([...path, 'loadbalancer'], `${lb} is not a load balancer`);
    return '';
  }
  const onNode = members?.filter((m) => m.node === node) ?? [];
  if (onNode.length > 1)
    ctx.report(
      [...path, path.at(-1) === 'watch' ? 'member' : 'node'],
      `${lb} has several members on ${node} (${onNode.map((m) => m.id).join(', ')}): name one by its id`,
    );
  const member = members?.find((m) => m.id === node) ?? onNode[0];
  if (!member) {
    const on = members.map((m) => m.node);
    const hint = nearest(node, on);
    ctx.report(
      [...path, path.at(-1) === 'watch' ? 'member' : 'node'],
      `${lb} has no member on node ${JSON.stringify(node)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; its members are on ${on.join(', ')}`}`,
    );
  }
  return member?.id ?? '';
}

export const memberWait = waitKind<MemberWaitSpec, z.infer<typeof Block>>({
  key: 'member',
  schema: Block,
  example: '{ member: { loadbalancer: qlbaas-01/lb, node: vm2 }, state: DOWN }',
  resolve: (b, ctx) => resolveMemberWait(b.member.loadbalancer, b.member.node, b.state, ctx, ['member']),
  needs: (spec) => [spec.kind],
  check(spec, facts) {
    const [node, name] = spec.loadbalancer.split('/');
    const status = serviceKindOf(spec.kind).memberStatus?.({ node, name }, facts, spec.member) ?? 'unknown';
    // "UP 1/3" is still up (going down); "DOWN 1/2" is still down (going up).
    return { met: status.split(' ')[0] === spec.state, now: status };
  },
  // A member named by its id (several on one node) is told as such: "member v2-web2-80".
  describe: (spec) => `${spec.kind} saw ${spec.node === spec.member ? `member ${spec.member}` : spec.node} on ${spec.loadbalancer} ${spec.state}`,
  bound: (spec) => spec.bound,
  figure: (spec) => (spec.state === 'DOWN' ? 'detect_ms' : 'recover_ms'),
});
