// "the load balancer is ACTIVE again after N failovers" (or PENDING_UPDATE: a failover began):
// a wait only Octavia's controller offers, read from its database.
import { z } from 'zod';
import { ServiceRef } from '../../kinds/fields.js';
import { serviceFacts } from '../../kinds/facts.js';
import { waitKind, type WaitBound } from '../../kinds/wait-kind.js';
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
  /** And exactly one live amphora holds the VIP (a build-first replacement can be ALLOCATED
   *  before the survivor's keepalived has taken the VIP over). */
  vipHeld: boolean;
  /** The VIP came to rest on another amphora this many times since the step began (0: not
   *  asked): keepalived's check script, a failover, or pitfall 9's preempting replacement. */
  vipMoves: number;
  /** Every amphora that existed when the step began is gone (a load balancer failover). */
  replaced: boolean;
  /** For PENDING_UPDATE: the health manager's bound on noticing an amphora gone silent. */
  bound?: WaitBound;
}

/** Heartbeats stop at the step's action, at most heartbeat_timeout after the last one; the
 *  health manager looks every health_check_interval, so it starts the failover within both. */
export function staleBound(config: { heartbeatTimeoutMs: number; healthCheckIntervalMs: number }): WaitBound {
  const s = (ms: number) => `${ms / 1000} s`;
  return {
    ms: config.heartbeatTimeoutMs + config.healthCheckIntervalMs,
    why: `heartbeat_timeout ${s(config.heartbeatTimeoutMs)} + health_check_interval ${s(config.healthCheckIntervalMs)}`,
  };
}

const Block = z
  .strictObject({
    loadbalancer: ServiceRef.describe('the octavia service, node/service'),
    status: z.enum(['ACTIVE', 'PENDING_UPDATE']).default('ACTIVE').describe('its provisioning_status (PENDING_UPDATE: a failover is under way)'),
    failovers: z.int().min(0).max(16).default(0).describe('failovers finished since the step began (ACTIVE only)'),
    members_up: z.boolean().default(false).describe("and every amphora's last heartbeat tells all the pool's members UP"),
    vip_held: z.boolean().default(false).describe('and exactly one amphora holds the VIP'),
    replaced: z.boolean().default(false).describe('and every amphora that existed when the step began has been replaced'),
    vip_moves: z.int().min(0).max(8).default(0).describe('the VIP came to rest on another amphora this many times since the step began (status not asked)'),
  })
  .describe('Until an Octavia load balancer is in a state, after some failovers');

const factsOf = (facts: Parameters<typeof serviceFacts>[0], spec: LoadbalancerWaitSpec) =>
  serviceFacts<{ db?: OctaviaDb; vipHolders?: string[]; vipHistory?: { at: number; holders: string[] }[] }>(
    facts,
    { node: spec.node, name: spec.service },
    () => ({}),
  );

/** How often one amphora, other than the one before, came to hold the VIP alone after `since`. */
export function vipMovesSince(history: { at: number; holders: string[] }[], since: number): number {
  let last = history.filter((h) => h.at <= since && h.holders.length === 1).at(-1)?.holders[0];
  let moves = 0;
  for (const h of history.filter((e) => e.at > since && e.holders.length === 1)) {
    if (h.holders[0] !== last) moves++;
    last = h.holders[0];
  }
  return moves;
}

export const loadbalancerWait = waitKind<LoadbalancerWaitSpec, z.infer<typeof Block>>({
  key: 'loadbalancer',
  schema: Block,
  example: '{ loadbalancer: controller/octavia, status: ACTIVE, failovers: 1 }',
  resolve(b, ctx) {
    const svc = ctx.service(b.loadbalancer, ['loadbalancer']);
    if (svc && svc.kind !== 'octavia') ctx.report(['loadbalancer'], `${b.loadbalancer} is ${svc.kind}, not Octavia's controller`);
    if (b.status === 'PENDING_UPDATE' && b.failovers > 0) ctx.report(['failovers'], 'failovers count finished ones: wait for ACTIVE');
    const [node, service] = b.loadbalancer.split('/');
    const config = svc?.kind === 'octavia' ? (svc.spec as OctaviaSpec).config : undefined;
    const members = config?.lb.pool.members.length ?? 0;
    if (b.vip_moves && (b.failovers || b.members_up || b.vip_held || b.replaced))
      ctx.report(['vip_moves'], 'vip_moves is a wait of its own: give it no other condition');
    return {
      node,
      service,
      status: b.status,
      failovers: b.failovers,
      membersUp: b.members_up ? members : 0,
      vipHeld: b.vip_held,
      vipMoves: b.vip_moves,
      replaced: b.replaced,
      ...(config && b.status === 'PENDING_UPDATE' ? { bound: staleBound(config) } : {}),
    };
  },
  bound: (spec) => spec.bound,
  // Who holds the VIP is read from the namespaces' addresses.
  needs: (spec) => (spec.vipHeld || spec.vipMoves ? ['octavia', 'addresses'] : ['octavia']),
  check(spec, facts, since) {
    const { db, vipHolders = [], vipHistory = [] } = factsOf(facts, spec);
    if (spec.vipMoves) {
      const moves = vipMovesSince(vipHistory, since);
      return {
        met: moves >= spec.vipMoves,
        now: `the VIP moved ${moves} time${moves === 1 ? '' : 's'}, held by ${vipHolders.map((h) => h.slice(0, 8)).join(', ') || 'no amphora'}`,
      };
    }
    if (!db) return { met: false, now: 'no database yet' };
    const done = db.failovers.filter((f) => f.doneAt && f.staleAt >= since).length;
    const status = db.loadbalancer.provisioning_status;
    const failed = db.failovers.find((f) => f.error);
    const serving = db.amphorae.filter((a) => a.status === 'ALLOCATED');
    const up = serving.map((a) => Object.values(db.amphora_health[a.id]?.members ?? {}).filter((m) => m === 'UP').length);
    const membersMet = spec.membersUp === 0 || (serving.length > 0 && up.every((n) => n >= spec.membersUp));
    const vipMet = !spec.vipHeld || vipHolders.length === 1;
    const older = db.amphorae.filter((a) => a.status !== 'DELETED' && Date.parse(a.created_at) < since).length;
    const replacedMet = !spec.replaced || older === 0;
    const now = `${status}, ${done} failover${done === 1 ? '' : 's'} done${spec.membersUp ? `, members UP ${up.join('/') || 0} of ${spec.membersUp}` : ''}${spec.vipHeld ? `, VIP held by ${vipHolders.length} amphora${vipHolders.length === 1 ? '' : 'e'}` : ''}${spec.replaced ? `, ${older} amphora${older === 1 ? '' : 'e'} from before left` : ''}${failed ? ` (failed: ${failed.error})` : ''}`;
    return { met: status === spec.status && done >= spec.failovers && membersMet && vipMet && replacedMet, now };
  },
  describe: (spec) =>
    spec.vipMoves
      ? `the VIP of ${spec.node}/${spec.service} moved to another amphora${spec.vipMoves > 1 ? ` ${spec.vipMoves} times` : ''}`
      : `${spec.node}/${spec.service} loadbalancer ${spec.status}${spec.failovers ? ` after ${spec.failovers} failover${spec.failovers === 1 ? '' : 's'}` : ''}${spec.membersUp ? ', every member UP in every amphora' : ''}${spec.replaced ? ', every amphora replaced' : ''}${spec.vipHeld ? ', the VIP held by one amphora' : ''}`,
  figure: (spec) =>
    spec.vipMoves
      ? spec.vipMoves > 1
        ? `vip_moved_${spec.vipMoves}_ms`
        : 'vip_moved_ms'
      : spec.membersUp
        ? 'members_up_ms'
        : spec.vipHeld
          ? 'vip_held_ms'
          : spec.replaced
            ? 'replaced_ms'
            : spec.status === 'ACTIVE'
              ? spec.failovers
                ? 'failover_ms'
                : 'active_ms'
              : 'detected_ms',
});
