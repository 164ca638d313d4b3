// "haproxy member X is UP/DOWN": a load balancer's view of one member.
import { z } from 'zod';
import { NsName, ServiceRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import { waitKind } from '../kinds/wait-kind.js';
import { nearest } from '../scenario/suggest.js';

export interface MemberWaitSpec {
  loadbalancer: string;
  member: string;
  node: string;
  state: 'UP' | 'DOWN';
}

const Block = z.strictObject({
  member: z.strictObject({
    loadbalancer: ServiceRef.describe('a load balancer service, as node/name'),
    node: NsName.describe('the node of the member (or the member\'s id, when a node hosts several)'),
  }),
  state: z.enum(['UP', 'DOWN']),
}).describe('Until a load balancer sees a member UP or DOWN');

/** Checks that node/service is a load balancer with a member on `node`; returns its id. */
export function resolveMember(lb: string, node: string, ctx: StepResolveContext, path: (string | number)[]): string {
  const svc = ctx.service(lb, [...path, 'loadbalancer']);
  const members = svc ? ctx.membersOf(svc) : undefined;
  if (svc && !members) {
    ctx.report([...path, 'loadbalancer'], `${lb} is not a load balancer`);
    return '';
  }
  const onNode = members?.filter((m) => m.node === node) ?? [];
  if (onNode.length > 1) ctx.report([...path, path.at(-1) === 'watch' ? 'member' : 'node'], `${lb} has several members on ${node} (${onNode.map((m) => m.id).join(', ')}): name one by its id`);
  const member = members?.find((m) => m.id === node) ?? onNode[0];
  if (members && !member) {
    const on = members.map((m) => m.node);
    const hint = nearest(node, on);
    ctx.report([...path, path.at(-1) === 'watch' ? 'member' : 'node'], `${lb} has no member on node ${JSON.stringify(node)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; its members are on ${on.join(', ')}`}`);
  }
  return member?.id ?? '';
}

export const memberWait = waitKind<MemberWaitSpec, z.infer<typeof Block>>({
  key: 'member',
  schema: Block,
  example: '{ member: { loadbalancer: qlbaas-01/lb, node: vm2 }, state: DOWN }',
  resolve: (b, ctx) => ({
    loadbalancer: b.member.loadbalancer,
    node: b.member.node,
    member: resolveMember(b.member.loadbalancer, b.member.node, ctx, ['member']),
    state: b.state,
  }),
  needs: ['members'],
  check(spec, facts) {
    const status = facts.members.find((m) => m.loadbalancer === spec.loadbalancer && m.member === spec.member)?.status ?? 'unknown';
    // "UP 1/3" is still up (going down); "DOWN 1/2" is still down (going up).
    return { met: status.split(' ')[0] === spec.state, now: status };
  },
  // A member named by its id (several on one node) is told as such: "member v2-web2-80".
  describe: (spec) => `haproxy saw ${spec.node === spec.member ? `member ${spec.member}` : spec.node} on ${spec.loadbalancer} ${spec.state}`,
  figure: (spec) => (spec.state === 'DOWN' ? 'detect_ms' : 'recover_ms'),
});
