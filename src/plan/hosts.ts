// A lab of several Neutron hosts: the wires between them (the underlay that carries VXLAN, and
// the physical network br-ex is on), then per host its own Open vSwitch with its nodes' ports,
// br-tun patched to br-int, one VXLAN port per peer, local_ip on br-phy and br-tun's flows.
import { join } from 'node:path';
import {
  hostWires,
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
import { switchDb } from '../links/links.js';
import type { Lab, LabHost } from '../model.js';
import { netns } from '../runtime/netns/netns.js';
import type { Op, Task } from '../kinds/ops.js';
import { switchTasks, txChecksumOff, type HostFacts } from './plan.js';

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
  return h.switch.bridges.find((b) => !['br-int', 'br-tun', 'br-phy'].includes(b));
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
    ...add('br-phy', UNDERLAY_NIC),
    ...(ext && h.external ? add(ext, PHYSNET_NIC) : []),
    ...add(TUNNELLED_BRIDGE, PATCH_TUN, 'type=patch', `options:peer=${PATCH_INT}`),
    ...add('br-tun', PATCH_INT, 'type=patch', `options:peer=${PATCH_TUN}`, `ofport_request=${PATCH_INT_OFPORT}`),
    ...tunnelPeers(lab, h).flatMap((p) =>
      add(
        'br-tun',
        tunnelPort(p),
        'type=vxlan',
        `options:remote_ip=${p.localIp}`,
        `options:local_ip=${h.localIp}`,
        'options:in_key=flow',
        'options:out_key=flow',
        `ofport_request=${tunnelOfport(lab, h, p)}`,
      ),
    ),
  ];
}

/** local_ip on br-phy (the underlay's only way out), then br-tun's flows once its ports have
 *  OpenFlow numbers (the flows name them). */
function tunnelOps(lab: Lab, h: LabHost): Op[] {
  const { namespace: ns, rundir } = h.switch;
  const ports = [PATCH_INT, ...tunnelPeers(lab, h).map(tunnelPort)];
  const file = join(rundir, 'br-tun.flows');
  return [
    netns.ipBatch(ns, [
      `addr add ${h.localIp}/${lab.hosts!.underlay.prefix} dev br-phy`,
      'link set br-phy up',
      `link set ${UNDERLAY_NIC} up`,
      ...(h.external ? [`link set ${PHYSNET_NIC} up`] : []),
    ]),
    { kind: 'run', argv: ['ovs-vsctl', switchDb(h.switch), '--timeout=10', ...ports.flatMap((p) => ['--', 'wait-until', 'Interface', p, 'ofport>0'])] },
    { kind: 'write', path: file, content: `${brTunFlows(lab, h).join('\n')}\n` },
    { kind: 'run', argv: ['ovs-ofctl', '-O', 'OpenFlow13', 'replace-flows', `unix:${join(rundir, 'br-tun.mgmt')}`, file] },
  ];
}
