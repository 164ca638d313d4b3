// Manila's share server (seed 000's third improvement): `manila create NFS 1 --name share_nfs
// --share-network ...` boots a service instance on the tenant's network that serves the share
// over NFS. In the lab it is a node joining at run time, nfs-ganesha exporting the share, and
// the VMs reach it with a userspace NFS client (nfs-write, nfs-read).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { Ipv4, Name } from '../kinds/fields.js';
import { opToShell } from '../kinds/ops.js';
import type { LabNode } from '../model.js';
import { actionStep } from './action-step.js';
import { joinNodeOps, joinRunningLab } from '../plan/node-plan.js';

export interface ShareRequest {
  share: string;
  network: string;
  address: string;
}

/** The share server's node, as a node block: its port on the share network, nfs-ganesha. */
export function shareServerBlock(r: ShareRequest): Record<string, unknown> {
  const tag = createHash('sha256').update(r.share).digest('hex').slice(0, 8);
  const name = `share-${r.share}`;
  return {
    name: name.length <= 64 ? name : `share-${tag}`,
    role: 'share-server',
    ports: [{ name: 'eth0', network: r.network, address: r.address, bridge_port: `tapshr${tag}` }],
    services: [{ name: 'nfs', kind: 'nfs-ganesha', share: r.share }],
  };
}

/** Where a client mounts it, as Manila's export location says: `10.0.0.50:/share_nfs`. */
export const exportLocation = (node: LabNode): string => `${node.ports[0]?.address}:/${(node.services[0]?.spec as { share?: string } | undefined)?.share}`;

/** Resolution failed: nothing to run (the file is refused before anything does). */
const NO_NODE: LabNode = { name: 'share-server', role: 'share-server', runtime: 'netns', ports: [], routes: [], sysctls: [], services: [], dir: '' };

export const manilaCreate = actionStep({
  kind: 'manila-create',
  description: 'Manila creates a share: its share server joins the share network and serves it over NFSv4 (manila create NFS 1 --name ... --share-network ...)',
  fields: {
    share_proto: z.literal('NFS').default('NFS').describe('the share protocol (NFS only)'),
    size: z.int().min(1).max(1024).default(1).describe("its size in GB, as Manila's command takes it (the lab does not enforce it)"),
    share_name: Name.describe('the share: exported as /<share_name>'),
    share_network: Name.describe('the tenant network the share server joins (the share network binds it)'),
    address: Ipv4.describe("the share server's address on it (Neutron's port)"),
  },
  tools: [{ command: 'ganesha.nfsd', pkg: 'nfs-ganesha', versionArgs: ['-v'], why: "a Manila share server's NFS (userspace NFSv4)" }],
  example: '{ name: create-share, kind: manila-create, share_name: share_nfs, share_network: private, address: 10.0.0.50 }',
  resolveAction: (b, ctx) => ctx.addNode(shareServerBlock({ share: b.share_name, network: b.share_network, address: b.address }), []) ?? NO_NODE,
  namespaces: (node) => [node.name],
  live: {
    ops: async (node, _lab, ctx) => {
      await joinRunningLab(node, ctx);
      return [];
    },
    explain: (node, { lab, datapath }) => [`# manila create NFS: share server ${node.name}`, ...joinNodeOps(lab, node, datapath).map(opToShell)],
  },
  applied: (node, ctx) => ctx.topology.add(node),
  done: (node) => `share server ${node.name} serves ${exportLocation(node)}`,
});
