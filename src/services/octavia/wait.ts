// "the load balancer is ACTIVE again after N failovers" (or PENDING_UPDATE: a failover began):
// a wait only Octavia's controller offers, read from its database.
import { z } from 'zod';
import { ServiceRef } from '../../kinds/fields.js';
import { serviceFacts } from '../../kinds/facts.js';
import { waitKind } from '../../kinds/wait-kind.js';
import type { OctaviaDb } from '../../agents/octavia-templates.js';
import type { OctaviaSpec } from './octavia.js';

export interface LoadbalancerWaitSpec {
  node: string;
  service: string;
  status: 'ACTIVE' | 'PENDING_UPDATE';
  /** Failovers finished since the step began. */
  failovers: number;
  /** Every amphora's last heartbeat tells all this many members UP (0: not asked). */
  membersUp: number;
}

const Block = z
  .strictObject({
    loadbalancer: ServiceRef.describe('the octavia service, node/service'),
    status: z.enum(['ACTIVE', 'PENDING_UPDATE']).default('ACTIVE').describe('its provisioning_status (PENDING_UPDATE: a failover is under way)'),
    failovers: z.int().min(0).max(16).default(0).describe('failovers finished since the step began (ACTIVE only)'),
    members_up: z.boolean().default(false).describe("and every amphora's last heartbeat tells all the pool's members UP"),
  })
  .describe('Until an Octavia load balancer is in a state, after some failovers');

const dbOf = (facts: Parameters<typeof serviceFacts>[0], spec: LoadbalancerWaitSpec) =>
  serviceFacts<{ db?: OctaviaDb }>(facts, { node: spec.node, name: spec.service }, () => ({})).db;

export const loadbalancerWait = waitKind<LoadbalancerWaitSpec, z.infer<typeof Block>>({
  key: 'loadbalancer',
  schema: Block,
  example: '{ loadbalancer: controller/octavia, status: ACTIVE, failovers: 1 }',
  resolve(b, ctx) {
    const svc = ctx.service(b.loadbalancer, ['loadbalancer']);
    if (svc && svc.kind !== 'octavia') ctx.report(['loadbalancer'], `${b.loadbalancer} is ${svc.kind}, not Octavia's controller`);
    if (b.status === 'PENDING_UPDATE' && b.failovers > 0) ctx.report(['failovers'], 'failovers count finished ones: wait for ACTIVE');
    const [node, service] = b.loadbalancer.split('/');
    const members = svc?.kind === 'octavia' ? (svc.spec as OctaviaSpec).config.lb.pool.members.length : 0;
    return { node, service, status: b.status, failovers: b.failovers, membersUp: b.members_up ? members : 0 };
  },
  needs: () => ['octavia'],
  check(spec, facts, since) {
    const db = dbOf(facts, spec);
    if (!db) return { met: false, now: 'no database yet' };
    const done = db.failovers.filter((f) => f.doneAt && f.staleAt >= since).length;
    const status = db.loadbalancer.provisioning_status;
    const failed = db.failovers.find((f) => f.error);
    const serving = db.amphorae.filter((a) => a.status === 'ALLOCATED');
    const up = serving.map((a) => Object.values(db.amphora_health[a.id]?.members ?? {}).filter((m) => m === 'UP').length);
    const membersMet = spec.membersUp === 0 || (serving.length > 0 && up.every((n) => n >= spec.membersUp));
    const now = `${status}, ${done} failover${done === 1 ? '' : 's'} done${spec.membersUp ? `, members UP ${up.join('/') || 0} of ${spec.membersUp}` : ''}${failed ? ` (failed: ${failed.error})` : ''}`;
    return { met: status === spec.status && done >= spec.failovers && membersMet, now };
  },
  describe: (spec) =>
    `${spec.node}/${spec.service} loadbalancer ${spec.status}${spec.failovers ? ` after ${spec.failovers} failover${spec.failovers === 1 ? '' : 's'}` : ''}${spec.membersUp ? ', every member UP in every amphora' : ''}`,
  figure: (spec) => (spec.membersUp ? 'members_up_ms' : spec.status === 'ACTIVE' ? (spec.failovers ? 'failover_ms' : 'active_ms') : 'detected_ms'),
});
