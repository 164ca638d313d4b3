// One node joining or leaving a lab that is already up (add-node, remove-node; later a
// controller's amphora or a rescheduled router): the same ops the build runs for it, in an
// order that works one after another. Its namespace and processes are journaled before they
// exist, so a kill -9 at any moment leaves nothing `lablb clean` does not remove.
import { adminDownId, linkType, switchDb } from '../links/links.js';
import { switchOf, type Datapath, type Lab, type LabNode } from '../model.js';
import { netns } from '../runtime/netns/netns.js';
import type { Op } from '../kinds/ops.js';
import type { StepContext } from '../kinds/step-kind.js';
import { UserError } from '../errors.js';
import { nodeSecurityOps } from '../security/apply.js';
import { configureNode, nodeOffload, nodeSysctls, serviceStartOps, txChecksumOff } from './plan.js';

export function joinNodeOps(lab: Lab, node: LabNode, datapath: Datapath): Op[] {
  // The node's host is known before the lab lists it.
  if (!lab.nodes.includes(node)) lab = { ...lab, nodes: [...lab.nodes, node] };
  const sw = switchOf(lab, node.name).namespace;
  const made = node.ports.flatMap((p) => linkType(p).make(p));
  return [
    { kind: 'mkdir', paths: [node.dir] },
    netns.create([node.name]),
    ...(made.length ? [netns.ipBatch(sw, made)] : []),
    ...(datapath === 'netdev'
      ? txChecksumOff(
          sw,
          node.ports.flatMap((p) => linkType(p).bridgeDevice(p) ?? []),
        )
      : []),
    // One transaction for its ports; it returns once ovs-vswitchd made the internal devices.
    ...(node.ports.length
      ? [
          {
            kind: 'run',
            argv: ['ovs-vsctl', switchDb(switchOf(lab, node.name)), ...node.ports.flatMap((p) => ['--', '--may-exist', 'add-port', ...linkType(p).bridge(p)])],
          } as Op,
        ]
      : []),
    ...node.ports.flatMap((p) => linkType(p).attach(lab, p)),
    ...nodeSysctls(node),
    ...configureNode(node),
    ...(datapath === 'netdev' ? nodeOffload(node) : []),
    ...node.services.flatMap((s) => serviceStartOps(lab, node, s)),
  ];
}

/** Its processes stopped, its ports taken off the switch, its namespace deleted. What the
 *  journal says of it stays: teardown finds nothing left to remove there, and says nothing.
 *  `hard`: the node vanishes as a deleted VM does (SIGKILL: keepalived sends no goodbye). */
export function leaveNodeOps(lab: Lab, node: LabNode, opts: { hard?: boolean } = {}): Op[] {
  const token = `${lab.name}/${node.name}/`;
  return [
    ...(opts.hard ? [{ kind: 'signal', token, signal: 'SIGKILL', what: `the processes of ${node.name}` } as Op] : []),
    { kind: 'stop', token, graceMs: 3000, what: `the processes of ${node.name}` },
    // A port taken down (admin state) goes with its node: nothing is left to bring up again.
    ...node.ports.flatMap((p) =>
      linkType(p)
        .unwire(lab, p)
        .map((argv): Op => ({ kind: 'run', argv, settles: adminDownId(p) })),
    ),
    { kind: 'run', argv: netns.remove(node.name) },
  ];
}

/** A node joining a running lab (at a step, or asked by a controller in it): checked again
 *  now (preflight did at the start: a namespace made since by somebody else must not become the
 *  lab's, or teardown would remove it), built through the engine, then its ports take their
 *  place in the flows, once they exist and their MACs can be read. */
export async function joinRunningLab(node: LabNode, ctx: StepContext): Promise<void> {
  const { lab } = ctx;
  if (netns.exists(ctx.host, node.name))
    throw new UserError(`namespace ${node.name} already exists and is not part of lab ${lab.name}; ${node.name} is left alone`);
  await ctx.apply(joinNodeOps(lab, node, ctx.datapath));
  const after = { ...lab, nodes: [...lab.nodes.filter((n) => n.name !== node.name), node] };
  await ctx.apply(await nodeSecurityOps(ctx.host, after, node, 'join'));
}
