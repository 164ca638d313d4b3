// A lab of several Neutron hosts: the wires between them (the underlay that carries VXLAN, and
// the physical network br-ex is on), then per host its own Open vSwitch with its nodes' ports,
// br-tun patched to br-int, one VXLAN port per peer, local_ip on br-phy and br-tun's flows.
import { join } from 'node:path';
import {
  hostWires,
  HOST_BRIDGES,
  physnetEnd,
  underlayEnd,
  PATCH_INT,
  PATCH_INT_OFPORT,
  PATCH_TUN,
  PHYSNET_NIC,
  TUNNELLED_BRIDGE,
  UNDERLAY_NIC,
  brTunFlows,
  tunnelOfport,
  tunnelPeers,
  tunnelPort,
} from '../links/tunnels.js';
import { linkType, switchDb } from '../links/links.js';
import type { Lab, LabHost, LabNode } from '../model.js';
import { netns } from '../runtime/netns/netns.js';
import type { Op, Task } from '../kinds/ops.js';
import { switchEnv, switchTasks, txChecksumOff, type HostFacts } from './plan.js';

/** The fabric's Linux bridges: between hosts' underlay NICs, and between their br-ex. */
const UNDERLAY_BRIDGE = 'underlay';
const PHYSNET_BRIDGE = 'physnet';

export function hostsTasks(lab: Lab, facts: HostFacts, memberIds: string[]): Task[] {
  const hosts = lab.hosts!;
  const tasks: Task[] = [
    {
      id: 'fabric',
      title: 'The wires between hosts: the underlay (VXLAN) and the physical network (br-ex)',
      after: ['namespaces'],
      ops: [netns.ipBatch(hosts.fabric, fabricLines(lab)), ...(facts.datapath === 'netdev' ? txChecksumOff(hosts.fabric, fabricEnds(lab)) : [])],
    },
  ];
  for (const h of hosts.list) {
    const ports = lab.nodes.filter((n) => n.host === h.name).flatMap((n) => n.ports);
    tasks.push(
      ...switchTasks(lab, h.switch, ports, facts, {
        suffix: `:${h.name}`,
        after: memberIds,
        moreBridgeArgs: hostPorts(lab, h),
        moreOffload: [UNDERLAY_NIC, ...(h.external ? [PHYSNET_NIC] : [])],
        madeBy: ['fabric'],
      }),
      {
        id: `tunnels:${h.name}`,
        title: `${h.name}: local_ip ${h.localIp} on br-phy; br-tun's flows (l2pop)`,
        after: [`bridges:${h.name}`],
        ops: tunnelOps(lab, h),
      },
    );
  }
  // Each host's OVS is told its peers' underlay MACs (on the userspace datapath it drops a
  // packet toward a tunnel endpoint it has not resolved yet, the first of every new flow). It
  // forgets them when its namespace's routes change, as when a port moves out into its node:
  // after the moves, then.
  for (const h of hosts.list) {
    const moves = lab.nodes
      .filter((n) => n.host === h.name)
      .flatMap((n) => n.ports)
      .filter((p) => linkType(p).attach(lab, p).length > 0)
      .map((p) => `move:${p.name}:${h.name}`);
    const ops = underlayNeighbourOps(lab, h);
    if (ops.length)
      tasks.push({
        id: `underlay:${h.name}`,
        title: `${h.name}: its tunnel peers' underlay MACs, told to OVS`,
        after: [`tunnels:${h.name}`, ...moves],
        ops,
      });
  }
  return tasks;
}

/** `ip -batch` lines in the fabric: two bridges, and a veth to each host (its end there is the
 *  host's NIC). */
function fabricLines(lab: Lab): string[] {
  const hosts = lab.hosts!.list;
  const lines = ['link set lo up', `link add ${UNDERLAY_BRIDGE} type bridge`, `link set ${UNDERLAY_BRIDGE} up`];
  if (hosts.some((h) => h.external)) lines.push(`link add ${PHYSNET_BRIDGE} type bridge`, `link set ${PHYSNET_BRIDGE} up`);
  for (const h of hosts) {
    const ns = h.switch.namespace;
    lines.push(
      `link add ${underlayEnd(h)} type veth peer name ${UNDERLAY_NIC} netns ${ns}`,
      `link set ${underlayEnd(h)} master ${UNDERLAY_BRIDGE}`,
      `link set ${underlayEnd(h)} up`,
    );
    if (h.external)
      lines.push(
        `link add ${physnetEnd(h)} type veth peer name ${PHYSNET_NIC} netns ${ns}`,
        `link set ${physnetEnd(h)} master ${PHYSNET_BRIDGE}`,
        `link set ${physnetEnd(h)} up`,
      );
  }
  return lines;
}

function fabricEnds(lab: Lab): string[] {
  return lab.hosts!.list.flatMap(hostWires);
}

/** The external bridge of a host: the one besides those every host has. */
export function externalBridge(h: LabHost): string | undefined {
  return h.switch.bridges.find((b) => !(HOST_BRIDGES as readonly string[]).includes(b));
}

/** ovs-vsctl arguments for a host's own ports: its NICs, the patch pair, a VXLAN port per peer
 *  (in_key/out_key=flow: br-tun's flows set the VNI), br-tun in secure fail mode as the agent
 *  sets it (no flooding before its flows). */
function hostPorts(lab: Lab, h: LabHost): string[] {
  const add = (bridge: string, port: string, ...iface: string[]) => [
    '--',
    '--may-exist',
    'add-port',
    bridge,
    port,
    ...(iface.length ? ['--', 'set', 'interface', port, ...iface] : []),
  ];
  const ext = externalBridge(h);
  return [
    '--',
    'set',
    'bridge',
    'br-tun',
    'fail_mode=secure',
    '--',
    'set',
    'bridge',
    'br-phy',
    `other-config:hwaddr=${h.underlayMac}`,
    ...add('br-phy', UNDERLAY_NIC),
    ...(ext && h.external ? add(ext, PHYSNET_NIC) : []),
    ...add(TUNNELLED_BRIDGE, PATCH_TUN, 'type=patch', `options:peer=${PATCH_INT}`),
    ...add('br-tun', PATCH_INT, 'type=patch', `options:peer=${PATCH_TUN}`, `ofport_request=${PATCH_INT_OFPORT}`),
    ...tunnelPortArgs(lab, h),
  ];
}

/** ovs-vsctl arguments for a VXLAN port per peer (in_key/out_key=flow: br-tun's flows set
 *  the VNI), each at its own OpenFlow number. */
function tunnelPortArgs(lab: Lab, h: LabHost): string[] {
  return tunnelPeers(lab, h).flatMap((p) => [
    '--',
    '--may-exist',
    'add-port',
    'br-tun',
    tunnelPort(p),
    '--',
    'set',
    'interface',
    tunnelPort(p),
    'type=vxlan',
    `options:remote_ip=${p.localIp}`,
    `options:local_ip=${h.localIp}`,
    'options:in_key=flow',
    'options:out_key=flow',
    `ofport_request=${tunnelOfport(lab, p)}`,
  ]);
}

/** local_ip on br-phy (the underlay's only way out), then br-tun's flows. */
function tunnelOps(lab: Lab, h: LabHost): Op[] {
  return [
    netns.ipBatch(h.switch.namespace, [
      `addr add ${h.localIp}/${lab.hosts!.underlay.prefix} dev br-phy`,
      'link set br-phy up',
      `link set ${UNDERLAY_NIC} up`,
      ...(h.external ? [`link set ${PHYSNET_NIC} up`] : []),
    ]),
    ...brTunOps(lab, h),
  ];
}

/** br-tun's flows written from the lab as it is, once its ports have their OpenFlow numbers. */
function brTunOps(lab: Lab, h: LabHost, down: ReadonlySet<string> = new Set()): Op[] {
  const { rundir } = h.switch;
  const ports = [PATCH_INT, ...tunnelPeers(lab, h).map(tunnelPort)];
  const file = join(rundir, 'br-tun.flows');
  return [
    { kind: 'run', argv: ['ovs-vsctl', switchDb(h.switch), '--timeout=10', ...ports.flatMap((p) => ['--', 'wait-until', 'Interface', p, 'ofport>0'])] },
    { kind: 'write', path: file, content: `${brTunFlows(lab, h, down).join('\n')}\n` },
    { kind: 'run', argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'replace-flows', `unix:${join(rundir, 'br-tun.mgmt')}`, file] },
  ];
}

/** l2pop once the lab changed at run time (a router rescheduled to another host): on every
 *  live host, a tunnel to each peer it now shares a network with, and br-tun's flows rewritten
 *  from the lab as it is (MACs on a dead host and a live one: the live one's). */
export function l2popSyncOps(lab: Lab, down: ReadonlySet<string>): Op[] {
  return (lab.hosts?.list ?? [])
    .filter((h) => !down.has(h.name))
    .flatMap((h) => {
      const add = tunnelPortArgs(lab, h);
      return [
        ...(add.length ? [{ kind: 'run', argv: ['ovs-vsctl', switchDb(h.switch), ...add] } as Op] : []),
        ...brTunOps(lab, h, down),
        // A node that joined moved a port out of the host's namespace: OVS forgot them.
        ...underlayNeighbourOps(lab, h),
      ];
    });
}

/** The host's OVS told where each tunnel peer's endpoint is on the underlay (its br-phy MAC). */
function underlayNeighbourOps(lab: Lab, h: LabHost): Op[] {
  return tunnelPeers(lab, h).map((peer) => ({
    kind: 'run',
    argv: ['ovs-appctl', 'tnl/neigh/set', 'br-phy', peer.localIp, peer.underlayMac],
    env: switchEnv(h.switch),
  }));
}

/** A node placed on a host at run time: the host gives each of its tunnelled networks a local
 *  VLAN (the next free one, for a network new there), and its ports take them. */
export function placeOn(host: LabHost, node: LabNode): void {
  for (const p of node.ports) {
    if (p.bridge !== TUNNELLED_BRIDGE) continue;
    if (!(p.network in host.localVlans)) host.localVlans[p.network] = Math.max(0, ...Object.values(host.localVlans)) + 1;
    p.vlan = host.localVlans[p.network];
  }
}

/** A router rescheduled to another host: the same ports (MACs, addresses), routes, sysctls
 *  and services, in a namespace of its own (Neutron names it qrouter-<id> on every host; here
 *  namespaces share one kernel, so the host's name is added). */
export function rescheduledNode(lab: Lab, node: LabNode, to: LabHost): LabNode {
  const name = `${node.name}.${to.name}`;
  const dir = join(lab.dir, 'nodes', name);
  const moved: LabNode = {
    ...node,
    name,
    host: to.name,
    dir,
    ports: node.ports.map((p) => ({ ...p, node: name })),
    services: node.services.map((s) => ({
      ...s,
      node: name,
      token: `${lab.name}/${name}/${s.name}`,
      pidfile: join(dir, `${s.name}.pid`),
      logfile: join(dir, `${s.name}.log`),
    })),
  };
  placeOn(to, moved);
  return moved;
}
