// "VRRP instance Y on node Z is MASTER" (or BACKUP, FAULT).
import { z } from 'zod';
import { waitKind } from '../kinds/wait-kind.js';

export interface VrrpWaitSpec {
  node: string;
  service: string;
  instance: string;
  state: string;
}

const Block = z.strictObject({
  vrrp: z.string().regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, { error: 'a VRRP instance as node/service/instance, such as lb2/vrrp/VR_1' })
    .meta({ title: 'node/service/instance' }),
  state: z.enum(['MASTER', 'BACKUP', 'FAULT']),
}).describe('Until a VRRP instance on a node is in a state');

export const vrrpWait = waitKind<VrrpWaitSpec, z.infer<typeof Block>>({
  key: 'vrrp',
  schema: Block,
  example: '{ vrrp: lb2/vrrp/VR_1, state: MASTER }',
  resolve(b, ctx) {
    const [node, service, instance] = b.vrrp.split('/');
    const svc = ctx.service(`${node}/${service}`, ['vrrp']);
    const instances = (svc?.spec as { instances?: { name: string }[] } | undefined)?.instances;
    if (svc && !instances) ctx.report(['vrrp'], `${node}/${service} runs no VRRP instances`);
    else if (instances && !instances.some((i) => i.name === instance)) ctx.report(['vrrp'], ctx.unknown(`VRRP instance in ${node}/${service}`, instance, instances.map((i) => i.name)));
    return { node, service, instance, state: b.state };
  },
  needs: ['vrrp'],
  check(spec, facts) {
    const state = facts.vrrp.find((v) => v.node === spec.node && v.service === spec.service && v.instance === spec.instance)?.state ?? 'unknown';
    return { met: state === spec.state, now: state };
  },
  describe: (spec) => `${spec.node}/${spec.service} ${spec.instance} ${spec.state}`,
  figure: (spec) => `${spec.state.toLowerCase()}_ms`,
});
