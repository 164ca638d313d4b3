// Stop, start or signal a service: the engine signals exactly its processes (by their token)
// or starts it as `up` did. stop-service and start-service may `watch` a load balancer member,
// which is short for a member wait (DOWN after a stop, UP after a start).
import { z } from 'zod';
import { NsName, ServiceRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import type { LabWait } from '../kinds/wait-kind.js';
import type { Lab, LabService } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { serviceStartOps } from '../plan/plan.js';
import { findService } from '../model.js';
import { resolveMemberWait } from '../waits/member.js';
import { actionStep } from './action-step.js';

interface ServiceAction {
  node: string;
  name: string;
  token: string;
  signal?: NodeJS.Signals;
}

const MemberWatch = z
  .strictObject({
    loadbalancer: ServiceRef.describe('a haproxy service, as node/name'),
    member: NsName.describe('the node of the member whose state is timed'),
  })
  .describe('The load balancer member whose state change is timed (short for an until: member wait)');

function resolveService(ref: string, ctx: StepResolveContext): ServiceAction {
  const [node, name] = ref.split('/');
  const svc: LabService | undefined = ctx.service(ref, ['service']);
  return { node, name, token: svc?.token ?? '' };
}

function watchWait(block: { watch?: z.infer<typeof MemberWatch> }, state: 'UP' | 'DOWN', ctx: StepResolveContext): LabWait[] {
  if (!block.watch) return [];
  const { loadbalancer, member: node } = block.watch;
  return [{ key: 'member', spec: resolveMemberWait(loadbalancer, node, state, ctx, ['watch']) }];
}

const stopSignal = z
  .enum(['SIGTERM', 'SIGKILL'])
  .default('SIGTERM')
  .describe('SIGTERM: a clean stop (SIGKILL after 3 s); SIGKILL: a crash (keepalived then leaves its VIPs behind)');

export const stopService = actionStep({
  kind: 'stop-service',
  description: "Stop a service's processes; time what follows (a load balancer marking its member DOWN, a VIP moving)",
  fields: { service: ServiceRef.describe('the service to stop, as node/name'), signal: stopSignal, watch: MemberWatch.optional() },
  example: `name: kill-vm2-web
kind: stop-service
service: vm2/web
watch: { loadbalancer: qlbaas-01/lb, member: vm2 }
within_ms: 6000
then: { samples: 10, expect: { only: [server_81] } }`,
  resolveAction: (b, ctx): ServiceAction => ({ ...resolveService(b.service, ctx), signal: b.signal }),
  impliedWaits: (b, ctx) => watchWait(b, 'DOWN', ctx),
  ops: (a): Op[] => [
    a.signal === 'SIGKILL'
      ? { kind: 'signal', token: a.token, signal: 'SIGKILL', what: `${a.node}/${a.name}` }
      : { kind: 'stop', token: a.token, graceMs: 3000, what: `${a.node}/${a.name}` },
  ],
  done: (a) => `${a.node}/${a.name} stopped${a.signal === 'SIGKILL' ? ' with SIGKILL' : ''}`,
});

export const startService = actionStep({
  kind: 'start-service',
  description: 'Start a service again, as `up` started it; time what follows (its member UP)',
  fields: { service: ServiceRef.describe('the service to start, as node/name'), watch: MemberWatch.optional() },
  example: `name: restart-vm2-web
kind: start-service
service: vm2/web
watch: { loadbalancer: qlbaas-01/lb, member: vm2 }
within_ms: 5000
then: { samples: 20, expect: { alternate: [server_81, server_82] } }`,
  resolveAction: (b, ctx): ServiceAction => resolveService(b.service, ctx),
  impliedWaits: (b, ctx) => watchWait(b, 'UP', ctx),
  ops: (a, lab: Lab) => {
    const node = lab.nodes.find((n) => n.name === a.node)!;
    return serviceStartOps(lab, node, findService(lab, a.node, a.name)!);
  },
  done: (a) => `${a.node}/${a.name} started`,
});

export const signalService = actionStep({
  kind: 'signal-service',
  description: "Send a signal to a service's processes (SIGHUP: reload; SIGTERM; SIGKILL: crash)",
  fields: { service: ServiceRef.describe('the service, as node/name'), signal: z.enum(['SIGHUP', 'SIGTERM', 'SIGKILL']) },
  example: '{ name: reload-vrrp, kind: signal-service, service: lb1/vrrp, signal: SIGHUP }',
  resolveAction: (b, ctx): ServiceAction => ({ ...resolveService(b.service, ctx), signal: b.signal }),
  ops: (a): Op[] => [{ kind: 'signal', token: a.token, signal: a.signal!, what: `${a.node}/${a.name}` }],
  done: (a) => `${a.signal} sent to ${a.node}/${a.name}`,
});
