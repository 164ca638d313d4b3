// "VRRP instance Y on node Z is MASTER" (or BACKUP, FAULT): a wait only keepalived offers.
import { z } from 'zod';
import { waitKind, type WaitBound } from '../../kinds/wait-kind.js';
import { masterDownMs, type KeepalivedSpec, type VrrpInstance } from './keepalived.js';
import { vrrpState } from './observe.js';

export interface VrrpWaitSpec {
  node: string;
  service: string;
  instance: string;
  state: string;
  /** For MASTER: the protocol's bound on a BACKUP taking over (masterDownMs); for FAULT, with
   *  a health check, on the MASTER giving up. */
  bound?: WaitBound;
}

const Block = z
  .strictObject({
    vrrp: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}(\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}){2}$/, {
        error: 'a VRRP instance as node/service/instance, such as lb2/vrrp/VR_1',
      })
      .meta({ title: 'node/service/instance' }),
    state: z.enum(['MASTER', 'BACKUP', 'FAULT']),
  })
  .describe('Until a VRRP instance on a node is in a state');

export const vrrpWait = waitKind<VrrpWaitSpec, z.infer<typeof Block>>({
  key: 'vrrp',
  schema: Block,
  example: '{ vrrp: lb2/vrrp/VR_1, state: MASTER }',
  resolve(b, ctx) {
    const [node, service, instance] = b.vrrp.split('/');
    const svc = ctx.service(`${node}/${service}`, ['vrrp']);
    const instances = svc?.kind === 'keepalived' ? (svc.spec as KeepalivedSpec).instances : undefined;
    if (svc && !instances) ctx.report(['vrrp'], `${node}/${service} runs no VRRP instances`);
    else if (instances && !instances.some((i) => i.name === instance))
      ctx.report(
        ['vrrp'],
        ctx.unknown(
          `VRRP instance in ${node}/${service}`,
          instance,
          instances.map((i) => i.name),
        ),
      );
    const inst = instances?.find((i) => i.name === instance);
    const bound = inst && (b.state === 'MASTER' ? masterDownBound(inst) : b.state === 'FAULT' ? faultBound(inst) : undefined);
    return { node, service, instance, state: b.state, ...(bound ? { bound } : {}) };
  },
  needs: () => ['keepalived'],
  check(spec, facts) {
    const state = vrrpState(facts, { node: spec.node, name: spec.service }, spec.instance);
    return { met: state === spec.state, now: state };
  },
  describe: (spec) => `${spec.node}/${spec.service} ${spec.instance} ${spec.state}`,
  bound: (spec) => spec.bound,
  figure: (spec) => `${spec.state.toLowerCase()}_ms`,
});

/** The master-down interval as a bound, with its sum written out as the config gives it. With
 *  Neutron's health check (the group's instances share the config), a MASTER that can no
 *  longer reach its gateway gives up after two failed checks, each up to a ping's 1 s, and
 *  says so with priority 0: the BACKUP takes over after the skew. The later of the two. */
export function masterDownBound(i: VrrpInstance): WaitBound {
  const skew = `(256 - ${i.priority}) / 256${i.version === 3 ? ` x ${i.advertInt}` : ''} s`;
  const down = { ms: masterDownMs(i), why: `VRRPv${i.version} master-down: 3 x advert_int ${i.advertInt} s + ${skew}` };
  const check = faultBound(i);
  if (!check) return down;
  const skewMs = masterDownMs(i) - 3 * i.advertInt * 1000;
  const resign = { ms: check.ms + skewMs, why: `${check.why} + ${skew}` };
  return {
    ms: Math.max(down.ms, resign.ms),
    why: `the later of ${down.why} (${down.ms} ms) and a MASTER giving up on its ${resign.why} (${resign.ms} ms)`,
  };
}

/** How long a MASTER that lost its gateway takes to go FAULT: two failed checks. */
export function faultBound(i: VrrpInstance): WaitBound | undefined {
  const c = i.healthCheck;
  return c && { ms: (2 * c.intervalS + 1) * 1000, why: `health check: fall 2 x interval ${c.intervalS} s + ping -w 1 s` };
}
