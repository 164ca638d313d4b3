// How a node's port reaches the lab's switch. Each link type knows how to wire itself (what
// to make in the switch's namespace, what to add to the bridge, what to move where) and how
// to unwire itself again. A container's veth will be a third type.
import { switchOf, type Lab, type LabPort, type LabSwitch } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { netns } from '../runtime/netns/netns.js';

export interface LinkType {
  /** `ip -batch` lines in the switch's namespace that make the device before it is bridged. */
  make(port: LabPort): string[];
  /** The ovs-vsctl arguments (after add-port) that plug it into its bridge. */
  bridge(port: LabPort): string[];
  /** Ops once it is on the bridge (an internal port moves into its node). */
  attach(lab: Lab, port: LabPort): Op[];
  /** The bridge-side device whose TX checksum offload must be off on the userspace datapath;
   *  undefined when the node-side device is the only one. */
  bridgeDevice(port: LabPort): string | undefined;
  /** Takes it off the switch again (the node keeps its side, if any). */
  unwire(lab: Lab, port: LabPort): string[][];
}

/** How ovs-vsctl reaches the lab's own database (never a system Open vSwitch). */
export const ovsDb = (lab: Lab) => switchDb(lab.switch);

/** How ovs-vsctl reaches one switch's database (a host's, in a lab of several hosts). */
export const switchDb = (sw: LabSwitch) => `--db=unix:${sw.rundir}/db.sock`;

/** The database of the switch a port is plugged into. */
const portDb = (lab: Lab, p: LabPort) => switchDb(switchOf(lab, p.node));

const vlanTag = (p: LabPort) => (p.vlan ? [`tag=${p.vlan}`] : []);

/** A veth pair: the node's end is created straight in the node, the other end stays in the
 *  switch's namespace and is plugged into the bridge (seed 001's vm1/vm2 wiring). */
export const veth: LinkType = {
  make: (p) => [`link add ${p.bridgePort} type veth peer name ${p.name} netns ${p.node}`, `link set ${p.bridgePort} up`],
  bridge: (p) => [p.bridge, p.bridgePort, ...vlanTag(p)],
  attach: () => [],
  bridgeDevice: (p) => p.bridgePort,
  unwire: (lab, p) => [
    ['ovs-vsctl', portDb(lab, p), '--if-exists', 'del-port', p.bridge, p.bridgePort],
    netns.ip(switchOf(lab, p.node).namespace, ['link', 'del', p.bridgePort]),
  ],
};

/** An OVS internal port, made by ovs-vswitchd and moved into the node (seed 001's tap04,
 *  qr01, qg01). */
export const internal: LinkType = {
  make: () => [],
  bridge: (p) => [p.bridge, p.bridgePort, ...vlanTag(p), '--', 'set', 'interface', p.bridgePort, 'type=internal'],
  attach: (lab, p) => [{ kind: 'run', argv: netns.ip(switchOf(lab, p.node).namespace, ['link', 'set', p.name, 'netns', p.node]) }],
  bridgeDevice: () => undefined,
  unwire: (lab, p) => [['ovs-vsctl', portDb(lab, p), '--if-exists', 'del-port', p.bridge, p.bridgePort]],
};

const LINK_TYPES: Record<LabPort['type'], LinkType> = { veth, internal };

export function linkType(port: LabPort): LinkType {
  return LINK_TYPES[port.type];
}

/** Cuts a port off its network without touching its link: its bridge port moves to a VLAN no
 *  network uses, so the node still sees carrier (keepalived stays out of FAULT) but reaches
 *  nobody, as when a network is partitioned beyond the node. */
export function isolate(lab: Lab, port: LabPort, deadVlan: number): string[] {
  return ['ovs-vsctl', portDb(lab, port), 'set', 'port', port.bridgePort, `tag=${deadVlan}`];
}

/** Puts an isolated port back on its network. */
export function rejoin(lab: Lab, port: LabPort): string[] {
  const db = portDb(lab, port);
  return port.vlan ? ['ovs-vsctl', db, 'set', 'port', port.bridgePort, `tag=${port.vlan}`] : ['ovs-vsctl', db, 'clear', 'port', port.bridgePort, 'tag'];
}

/** A VLAN tag no network of the lab uses, for isolated ports. */
export function deadVlan(lab: Lab): number {
  const used = new Set(lab.networks.map((n) => n.vlan));
  let tag = 4094;
  while (used.has(tag)) tag--;
  return tag;
}

/** Neutron's OVS agent puts a port whose admin_state_up is False on this VLAN (DEAD_VLAN_TAG). */
const DEAD_VLAN_TAG = 4095;

/** The journal id of a port's admin state down, undone (admin state up) at teardown. */
export const adminDownId = (port: LabPort): string => `admin:${port.node}/${port.name}`;

/** `neutron port-update PORT --admin-state-up False|True` at the switch, as the OVS agent does
 *  it: down moves the bridge port to the dead VLAN (its link stays up), up puts it back. */
export function adminStateOps(lab: Lab, port: LabPort, up: boolean): Op[] {
  if (up) return [{ kind: 'run', argv: rejoin(lab, port), settles: adminDownId(port) }];
  return [
    {
      kind: 'run',
      argv: isolate(lab, port, DEAD_VLAN_TAG),
      undo: {
        id: adminDownId(port),
        what: `${port.node}/${port.name} admin state up again`,
        argv: rejoin(lab, port),
        member: switchOf(lab, port.node).namespace,
      },
    },
  ];
}
