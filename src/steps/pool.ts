// A running load balancer's pool changed, as LBaaS v2 does it (`neutron lbaas-member-create`,
// `lbaas-member-delete`): the kind renders its config again and reloads the daemon (haproxy
// -sf: the old process stops listening and finishes its connections while the new one
// serves). The steps after it see the pool as it is then; the observers and the screen too.
import { z } from 'zod';
import { ConfigId, NsName, ServiceRef } from '../kinds/fields.js';
import type { PoolChanges } from '../kinds/service-kind.js';
import type { StepContext, StepResolveContext } from '../kinds/step-kind.js';
import type { Lab, LabService } from '../model.js';
import { opToShell } from '../kinds/ops.js';
import { serviceKindOf } from '../services/all.js';
import { shellQuote } from '../shell.js';
import { actionStep } from './action-step.js';

interface PoolChange {
  /** The service as it is once the change is made. */
  service: LabService;
  what: string;
}

const NONE: PoolChange = { service: { kind: '', node: '', name: '', token: '', pidfile: '', logfile: '', spec: undefined }, what: '' };

/** The load balancer named there, if its kind changes pools at run time. */
function poolsOf(ref: string, ctx: StepResolveContext): { service: LabService; pools: PoolChanges<unknown> } | undefined {
  const service = ctx.service(ref, ['loadbalancer']);
  const pools = service ? serviceKindOf(service.kind).pools : undefined;
  if (service && !pools) ctx.report(['loadbalancer'], `${ref} is not a load balancer whose pools change at run time`);
  return service && pools ? { service, pools } : undefined;
}

/** The daemon's PIDs now, for the reload (explain prints where they are read from). */
const PIDS = '<pids>';
const reloadOps = (c: PoolChange, running: string[]) => serviceKindOf(c.service.kind).pools!.reload(c.service, running);

const live = {
  ops: async (c: PoolChange, _lab: Lab, ctx: StepContext) =>
    reloadOps(
      c,
      (ctx.host.readFile(c.service.pidfile) ?? '').split(/\s+/).filter((p) => /^\d+$/.test(p)),
    ),
  explain: (c: PoolChange) => reloadOps(c, [PIDS]).map((op) => opToShell(op).replace(shellQuote(PIDS), `$(cat ${shellQuote(c.service.pidfile)})`)),
};

const fields = {
  loadbalancer: ServiceRef.describe('the load balancer, as node/service (qlbaas-01/lb)'),
  pool: ConfigId.optional().describe("its pool's id (default: its only pool)"),
};

export const memberCreate = actionStep({
  kind: 'member-create',
  description: "neutron lbaas-member-create: a member joins a running load balancer's pool; the config is rendered again and haproxy reloaded",
  fields: {
    ...fields,
    member: z.record(z.string(), z.unknown()).describe('the member, as under pool.members (id, node, address, protocol_port, weight)'),
  },
  example: `name: vm3-joins-the-pool
kind: member-create
loadbalancer: qlbaas-01/lb
member: { id: member-3, node: vm3, address: 10.0.0.83, protocol_port: 80 }
until:
  - { member: { loadbalancer: qlbaas-01/lb, node: vm3 }, state: UP }`,
  resolveAction(b, ctx): PoolChange {
    const lb = poolsOf(b.loadbalancer, ctx);
    const member = lb && ctx.check(lb.pools.member, b.member, ['member']);
    if (!lb || !member) return NONE;
    const nodeNames = ctx.lab.nodes.map((n) => n.name);
    const spec = lb.pools.add(lb.service.spec, member, b.pool, { nodeNames, report: ctx.report });
    return { service: ctx.replaceService(lb.service, spec), what: `${String(b.member.node)} joined ${b.loadbalancer}` };
  },
  live,
  applied: (c, ctx) => ctx.topology.replaceService(c.service),
  done: (c) => c.what,
});

export const memberDelete = actionStep({
  kind: 'member-delete',
  description: "neutron lbaas-member-delete: a member leaves a running load balancer's pool; the config is rendered again and haproxy reloaded",
  fields: {
    ...fields,
    member: NsName.describe("the member's node (or its id, when a node hosts several)"),
  },
  example: '{ name: vm2-leaves-the-pool, kind: member-delete, loadbalancer: qlbaas-01/lb, member: vm2 }',
  resolveAction(b, ctx): PoolChange {
    const lb = poolsOf(b.loadbalancer, ctx);
    if (!lb) return NONE;
    const spec = lb.pools.remove(lb.service.spec, b.member, b.pool, ctx.report);
    return { service: ctx.replaceService(lb.service, spec), what: `${b.member} left ${b.loadbalancer}` };
  },
  live,
  applied: (c, ctx) => ctx.topology.replaceService(c.service),
  done: (c) => c.what,
});
