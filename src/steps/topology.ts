// Nodes that come and go while the experiment runs: add-node brings a node into the running
// lab (namespace, ports on the switch, addresses, routes, services), remove-node takes one out.
// The block is a node as the scenario writes it under nodes:, held to the same schema and
// rules; each change goes through the engine and its journal, as the build does.
import { z } from 'zod';
import { NsName } from '../kinds/fields.js';
import type { Lab, LabNode } from '../model.js';
import { opToShell } from '../kinds/ops.js';
import { joinNodeOps, joinRunningLab, leaveNodeOps } from '../plan/node-plan.js';
import { l2popSyncOps, placeOn } from '../plan/hosts.js';
import { nodeSecurityOps } from '../security/apply.js';
import { actionStep } from './action-step.js';
import { downHosts } from '../kinds/facts.js';

/** Resolution failed: nothing to run (the file is refused before anything does). */
const NO_NODE = (name: string): LabNode => ({ name, role: 'vm', runtime: 'netns', ports: [], routes: [], sysctls: [], services: [], dir: '' });

export const addNode = actionStep({
  kind: 'add-node',
  description: 'A node joins the running lab: its namespace, ports on the switch, addresses, routes and services, as under nodes:',
  fields: {
    node: z
      .record(z.string(), z.unknown())
      .describe('a node block, exactly as under nodes: (name, role, ports, routes, sysctls, services ...), checked the same way'),
  },
  example: `name: add-vm3
kind: add-node
node:
  name: vm3
  role: vm
  ports: [{ name: eth0, network: tenant1-net, address: 10.0.0.83, bridge_port: tapvm3 }]
  routes: [{ to: default, via: 10.0.0.1 }]
  services: [{ name: web, kind: http-text, listen: 10.0.0.83:80, text: server_83 }]`,
  resolveAction: (b, ctx) => ctx.addNode(b.node, ['node']) ?? NO_NODE(String(b.node.name)),
  namespaces: (node) => [node.name],
  live: {
    ops: async (node, _lab, ctx) => {
      // On a host: its networks get the host's local VLANs first, and l2pop learns its ports.
      const host = ctx.lab.hosts?.list.find((h) => h.name === node.host);
      if (host) placeOn(host, node);
      await joinRunningLab(node, ctx);
      return host ? l2popSyncOps({ ...ctx.lab, nodes: [...ctx.lab.nodes, node] }, downHosts(ctx.facts)) : [];
    },
    explain: (node, { lab, datapath }) => {
      const hosts = structuredClone(lab.hosts);
      const host = hosts?.list.find((h) => h.name === node.host);
      const placed = host ? structuredClone(node) : node;
      if (host) placeOn(host, placed);
      const after = { ...lab, hosts, nodes: [...lab.nodes, placed] };
      return [...joinNodeOps(after, placed, datapath), ...(host ? l2popSyncOps(after, new Set()) : [])].map(opToShell);
    },
  },
  applied: (node, ctx) => ctx.topology.add(node),
  done: (node) =>
    `${node.name} joined (${node.ports.map((p) => `${p.name} ${p.address}`).join(', ')}${node.services.length ? `; ${node.services.map((s) => s.name).join(', ')} running` : ''})`,
});

export const removeNode = actionStep({
  kind: 'remove-node',
  description: 'A node leaves the running lab: its processes stopped, its ports off the switch, its namespace deleted',
  fields: {
    node: NsName.describe('a node of the lab at this step'),
  },
  example: '{ name: remove-vm2, kind: remove-node, node: vm2 }',
  resolveAction: (b, ctx) => ctx.removeNode(b.node, ['node']) ?? NO_NODE(b.node),
  live: {
    // Its ports leave the flows before they leave the switch.
    ops: async (node, lab, ctx) => [
      ...(await nodeSecurityOps(ctx.host, without(lab, node), node, 'leave')),
      ...leaveNodeOps(lab, node),
      // On a host: l2pop forgets its ports.
      ...(node.host ? l2popSyncOps(without(lab, node), downHosts(ctx.facts)) : []),
    ],
    explain: (node, { lab }) => [...leaveNodeOps(lab, node), ...(node.host ? l2popSyncOps(without(lab, node), new Set()) : [])].map(opToShell),
  },
  applied: (node, ctx) => ctx.topology.remove(node.name),
  done: (node) => `${node.name} removed`,
});

/** The lab as it is once the node has left. */
const without = (lab: Lab, node: LabNode): Lab => ({ ...lab, nodes: lab.nodes.filter((n) => n.name !== node.name) });
