// Faults of an amphora, which Octavia's controller makes at run time: so a step names it by its
// role (or as the one holding the VIP) and finds it in the controller's database when it runs.
// Seed 004's trigger, `neutron port-update <its lb-mgmt-net port> --admin-state-up False`, and
// a process of it dying: haproxy (keepalived's check script moves the VIP) or its agent (the
// heartbeats stop; the data plane goes on), and an operator's failover of the load balancer
// through Octavia's API (a rolling upgrade).
import { join } from 'node:path';
import { z } from 'zod';
import { ServiceRef } from '../kinds/fields.js';
import type { StepContext, StepResolveContext } from '../kinds/step-kind.js';
import { adminStateOps } from '../links/links.js';
import { findPort, findService, type Lab, type LabService } from '../model.js';
import { UserError } from '../errors.js';
import type { AmphoraRow } from '../agents/octavia-templates.js';
import { amphoraDir, type AmphoraAgentSpec } from '../services/amphora-agent/amphora-agent.js';
import { octaviaDb, vipHolders, type OctaviaSpec } from '../services/octavia/octavia.js';
import { netns } from '../runtime/netns/netns.js';
import { actionStep } from './action-step.js';

type Which = 'MASTER' | 'BACKUP' | 'STANDALONE' | 'vip-holder';

interface AmphoraRef {
  node: string;
  service: string;
  amphora: Which;
}

interface AmphoraPortChange extends AmphoraRef {
  adminStateUp: boolean;
}

const loadbalancerField = ServiceRef.describe("Octavia's controller, node/service");
const amphoraField = z
  .enum(['MASTER', 'BACKUP', 'STANDALONE', 'vip-holder'])
  .default('vip-holder')
  .describe('which amphora: by role, or the one holding the VIP now');

function resolveRef(b: { loadbalancer: string; amphora: Which }, ctx: StepResolveContext): AmphoraRef {
  const svc = ctx.service(b.loadbalancer, ['loadbalancer']);
  if (svc && svc.kind !== 'octavia') ctx.report(['loadbalancer'], `${b.loadbalancer} is ${svc.kind}, not Octavia's controller`);
  const [node, service] = b.loadbalancer.split('/');
  return { node, service, amphora: b.amphora };
}

const whichText = (w: Which) => (w === 'vip-holder' ? 'amphora holding the VIP' : `${w} amphora`);

/** The ALLOCATED amphora the step means, as the controller's database and the lab's addresses
 *  tell it now. */
async function findAmphora(c: AmphoraRef, ctx: StepContext): Promise<AmphoraRow> {
  const ref = { node: c.node, name: c.service };
  await ctx.observe(['addresses', 'octavia']);
  const db = octaviaDb(ctx.facts, ref);
  const holders = vipHolders(ctx.facts, ref);
  const amp = db?.amphorae.find((a) => a.status === 'ALLOCATED' && (c.amphora === 'vip-holder' ? holders.includes(a.id) : a.role === c.amphora));
  if (!amp) throw new UserError(`no ALLOCATED amphora of ${c.node}/${c.service} is ${c.amphora === 'vip-holder' ? 'holding the VIP' : c.amphora} now`);
  return amp;
}

const describe = (c: AmphoraPortChange) =>
  `neutron port-update <lb-mgmt-net port of the ${whichText(c.amphora)} of ${c.node}/${c.service}> --admin-state-up ${c.adminStateUp ? 'True' : 'False'}`;

export const amphoraPortUpdate = actionStep({
  kind: 'amphora-port-update',
  description: "An amphora's lb-mgmt-net port taken down (or up): its heartbeats stop reaching the health manager, as in seed 004",
  fields: {
    loadbalancer: loadbalancerField,
    amphora: amphoraField,
    admin_state_up: z.boolean().default(false).describe('false: the port on the dead VLAN (4095); true: back'),
  },
  example: '{ name: mgmt-port-down, kind: amphora-port-update, loadbalancer: controller/octavia, amphora: MASTER }',
  resolveAction: (b, ctx): AmphoraPortChange => ({ ...resolveRef(b, ctx), adminStateUp: b.admin_state_up }),
  live: {
    ops: async (c, lab, ctx) => {
      const amp = await findAmphora(c, ctx);
      const port = findPort(lab, `${amp.node}/eth0`);
      if (!port) throw new UserError(`amphora ${amp.id} has no node ${amp.node} in the lab`);
      ctx.emit({
        type: 'note',
        message: `neutron port-update ${amp.mgmt_port_id} --admin-state-up ${c.adminStateUp ? 'True' : 'False'} (${amp.node}/eth0, ${amp.role})`,
      });
      return adminStateOps(lab, port, c.adminStateUp);
    },
    explain: (c) => [`# ${describe(c)}`, "# (lablb finds the amphora in the controller's database when the step runs, and moves its port to VLAN 4095)"],
  },
  done: describe,
});

type Process = 'haproxy' | 'amphora-agent';

interface AmphoraKill extends AmphoraRef {
  process: Process;
  signal: NodeJS.Signals;
}

const describeKill = (c: AmphoraKill) => `kill -${c.signal.replace(/^SIG/, '')} the ${c.process} of the ${whichText(c.amphora)} of ${c.node}/${c.service}`;

/** The process's pid file, as the agent keeps it: its own, or its listener's haproxy's. */
function pidfileOf(agent: LabService<AmphoraAgentSpec>, process: Process, lab: Lab, c: AmphoraRef): string {
  if (process === 'amphora-agent') return agent.pidfile;
  const controller = findService(lab, c.node, c.service) as LabService<OctaviaSpec>;
  return join(amphoraDir(agent), controller.spec.config.lb.listener.id, 'haproxy.pid');
}

export const amphoraKill = actionStep({
  kind: 'amphora-kill',
  description:
    "A process of an amphora dies: its haproxy (keepalived's check script gives up the VIP; the heartbeats report no listener) or its agent (no heartbeats; the data plane goes on)",
  fields: {
    loadbalancer: loadbalancerField,
    amphora: amphoraField,
    process: z.enum(['haproxy', 'amphora-agent']).describe('haproxy in its amphora-haproxy namespace, or the amphora agent'),
    signal: z.enum(['SIGKILL', 'SIGTERM']).default('SIGKILL').describe('SIGKILL: a crash'),
  },
  example: '{ name: haproxy-dies, kind: amphora-kill, loadbalancer: controller/octavia, amphora: MASTER, process: haproxy }',
  resolveAction: (b, ctx): AmphoraKill => ({ ...resolveRef(b, ctx), process: b.process, signal: b.signal }),
  live: {
    ops: async (c, lab, ctx) => {
      const amp = await findAmphora(c, ctx);
      const agent = findService(lab, amp.node, 'amphora-agent') as LabService<AmphoraAgentSpec> | undefined;
      if (!agent) throw new UserError(`amphora ${amp.id} has no agent in the lab`);
      ctx.emit({ type: 'note', message: `kill -${c.signal.replace(/^SIG/, '')} ${c.process} of amphora ${amp.id} (${amp.role})` });
      return [
        {
          kind: 'signal',
          token: agent.token,
          signal: c.signal,
          pidfile: pidfileOf(agent, c.process, lab, c),
          what: `${c.process} of amphora ${amp.id.slice(0, 8)}`,
        },
      ];
    },
    explain: (c) => [
      `# ${describeKill(c)}`,
      "# (lablb finds the amphora in the controller's database when the step runs, and its process by pid file and token)",
    ],
  },
  done: describeKill,
});

interface LoadbalancerRef {
  node: string;
  service: string;
}

const describeLbFailover = (c: LoadbalancerRef) => `openstack loadbalancer failover <the load balancer of ${c.node}/${c.service}>`;

export const loadbalancerFailover = actionStep({
  kind: 'loadbalancer-failover',
  description:
    "An operator fails a load balancer over through Octavia's API (PUT /v2/octavia/loadbalancers/<id>/failover): each amphora replaced in turn, the one not holding the VIP first, as a rolling image upgrade does",
  fields: { loadbalancer: loadbalancerField },
  example: '{ name: rolling-upgrade, kind: loadbalancer-failover, loadbalancer: controller/octavia }',
  resolveAction: (b, ctx): LoadbalancerRef => {
    const { node, service } = resolveRef({ ...b, amphora: 'vip-holder' }, ctx);
    return { node, service };
  },
  ops: (c, lab) => {
    const controller = findService(lab, c.node, c.service) as LabService<OctaviaSpec> | undefined;
    const url = `http://${controller?.spec.config.api}/v2/octavia/loadbalancers/${controller?.spec.config.lb.id}/failover`;
    return [{ kind: 'run', argv: netns.exec(c.node, ['curl', '-sS', '--fail-with-body', '-m', '10', '-X', 'PUT', url]) }];
  },
  done: describeLbFailover,
});
