// Seed 004's trigger: `neutron port-update <the amphora's lb-mgmt-net port> --admin-state-up
// False`. The amphora is made at run time by Octavia's controller, so the step names it by
// its role (or as the one holding the VIP) and finds its management port when it runs.
import { z } from 'zod';
import { ServiceRef } from '../kinds/fields.js';
import { adminStateOps } from '../links/links.js';
import { findPort } from '../model.js';
import { UserError } from '../errors.js';
import { octaviaDb, vipHolders } from '../services/octavia/octavia.js';
import { actionStep } from './action-step.js';

interface AmphoraPortChange {
  node: string;
  service: string;
  amphora: 'MASTER' | 'BACKUP' | 'STANDALONE' | 'vip-holder';
  adminStateUp: boolean;
}

const describe = (c: AmphoraPortChange) =>
  `neutron port-update <lb-mgmt-net port of the ${c.amphora === 'vip-holder' ? 'amphora holding the VIP' : `${c.amphora} amphora`} of ${c.node}/${c.service}> --admin-state-up ${c.adminStateUp ? 'True' : 'False'}`;

export const amphoraPortUpdate = actionStep({
  kind: 'amphora-port-update',
  description: "An amphora's lb-mgmt-net port taken down (or up): its heartbeats stop reaching the health manager, as in seed 004",
  fields: {
    loadbalancer: ServiceRef.describe("Octavia's controller, node/service"),
    amphora: z.enum(['MASTER', 'BACKUP', 'STANDALONE', 'vip-holder']).default('vip-holder').describe('which amphora: by role, or the one holding the VIP now'),
    admin_state_up: z.boolean().default(false).describe('false: the port on the dead VLAN (4095); true: back'),
  },
  example: '{ name: mgmt-port-down, kind: amphora-port-update, loadbalancer: controller/octavia, amphora: MASTER }',
  resolveAction(b, ctx): AmphoraPortChange {
    const svc = ctx.service(b.loadbalancer, ['loadbalancer']);
    if (svc && svc.kind !== 'octavia') ctx.report(['loadbalancer'], `${b.loadbalancer} is ${svc.kind}, not Octavia's controller`);
    const [node, service] = b.loadbalancer.split('/');
    return { node, service, amphora: b.amphora, adminStateUp: b.admin_state_up };
  },
  live: {
    ops: async (c, lab, ctx) => {
      const ref = { node: c.node, name: c.service };
      await ctx.observe(['addresses', 'octavia']);
      const db = octaviaDb(ctx.facts, ref);
      const holders = vipHolders(ctx.facts, ref);
      const amp = db?.amphorae.find((a) => a.status === 'ALLOCATED' && (c.amphora === 'vip-holder' ? holders.includes(a.id) : a.role === c.amphora));
      if (!amp) throw new UserError(`no ALLOCATED amphora of ${c.node}/${c.service} is ${c.amphora === 'vip-holder' ? 'holding the VIP' : c.amphora} now`);
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
