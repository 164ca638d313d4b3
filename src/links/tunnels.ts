// Neutron's tunnels between hosts: the tunnel bridge's flow tables as the OVS agent installs
// them (br_tun.py), with l2pop's unicast and flood entries, and the names it gives tunnel
// ports. Pure: text for ovs-ofctl, no host access.
import { hostOf, type Lab, type LabHost } from '../model.js';
import { hexAddress } from '../net/addr.js';

/** Where the hosts' tunnel endpoints are, unless the file says. */
export const DEFAULT_UNDERLAY = '192.168.77.0/24';
/** The bridges lablb gives every host: the integration bridge, the tunnel bridge, and the
 *  bridge whose own port holds the tunnel endpoint (the userspace datapath sends VXLAN out of
 *  an OVS bridge, not a kernel device). */
export const HOST_BRIDGES = ['br-int', 'br-tun', 'br-phy'] as const;
/** The bridge tenant networks are on, tunnelled between hosts. */
export const TUNNELLED_BRIDGE = 'br-int';

export const hostNamespace = (lab: string, host: string) => `lablb-${lab}-${host}`;
export const fabricNamespace = (lab: string) => `lablb-${lab}-fabric`;

/** The devices a host's switch gets from the fabric: its underlay NIC (on br-phy, holding
 *  local_ip) and, where external, its physical NIC on br-ex. */
export const UNDERLAY_NIC = 'eth1';
export const PHYSNET_NIC = 'eth2';
/** A host's wires' ends in the fabric: its underlay and, where external, its physical network.
 *  Down, the host is gone from the others' view (a network node that died). */
export const underlayEnd = (h: LabHost) => `u-${h.name}`;
export const physnetEnd = (h: LabHost) => `x-${h.name}`;
export const hostWires = (h: LabHost) => [underlayEnd(h), ...(h.external ? [physnetEnd(h)] : [])];

/** The patch ports between br-int and br-tun, named as the OVS agent names them. */
export const PATCH_TUN = 'patch-tun';
export const PATCH_INT = 'patch-int';

/** br-tun's tables, numbered as in the OVS agent's constants. */
export const TABLES = {
  dvrProcess: 1,
  patchLvToTun: 2,
  gre: 3,
  vxlan: 4,
  geneve: 6,
  dvrNotLearn: 9,
  learnFromTun: 10,
  ucastToTun: 20,
  floodToTun: 22,
} as const;

/** br-tun's OpenFlow port numbers, asked for when the ports are added, so its flows name
 *  them by number: ovs-ofctl may not yet know a port's name when its flows are loaded. */
export const PATCH_INT_OFPORT = 1;
// By the peer's place among all hosts, so a tunnel added later renumbers none.
export const tunnelOfport = (lab: Lab, peer: LabHost) => 2 + (lab.hosts?.list ?? []).indexOf(peer);

/** The OVS agent names a tunnel port after the far end's address in hex (vxlan-c0a84d02). */
export const tunnelPort = (peer: LabHost) => `vxlan-${hexAddress(peer.localIp)}`;

/** The other hosts that share a tunnelled network with this one: l2pop makes tunnels to
 *  those only. */
export function tunnelPeers(lab: Lab, host: LabHost): LabHost[] {
  const mine = Object.keys(host.localVlans);
  return (lab.hosts?.list ?? []).filter((h) => h !== host && mine.some((net) => net in h.localVlans));
}

/** Where l2pop says each MAC of a tunnelled network is: its first port's host (an HA
 *  router's port is on two hosts with one MAC; l2pop believes one of them), a live host's
 *  before one that died. */
export function macLocations(lab: Lab, network: string, down: ReadonlySet<string> = new Set()): { mac: string; host: string; port: string }[] {
  const at = new Map<string, { mac: string; host: string; port: string }>();
  for (const node of lab.nodes) {
    for (const p of node.ports) {
      // A DVR interface is on every host the router runs on: l2pop tells no host where it is.
      if (p.network !== network || !p.mac || !node.host || p.distributed) continue;
      const had = at.get(p.mac);
      if (!had || (down.has(had.host) && !down.has(node.host))) at.set(p.mac, { mac: p.mac, host: node.host, port: `${node.name}/${p.name}` });
    }
  }
  return [...at.values()];
}

/** br-tun's flows on a host (ports by number: 1 is patch-int, then a tunnel per peer): the agent's default tables (setup_default_table), a local VLAN
 *  per network (provision_local_vlan), and l2pop's entries (install_unicast_to_tun for the
 *  other hosts' MACs, install_flood_to_tun to the hosts with ports on the network). With DVR,
 *  also the agent's DVR tables (dvrFlows). */
export function brTunFlows(lab: Lab, host: LabHost, down: ReadonlySet<string> = new Set()): string[] {
  const T = TABLES;
  const peers = tunnelPeers(lab, host);
  const byName = new Map((lab.hosts?.list ?? []).map((h) => [h.name, h]));
  const out = (peer: LabHost) => `output:${tunnelOfport(lab, peer)}`;
  const dvr = host.dvrMac !== undefined;
  // With DVR, frames from br-int pass table 1 and frames from a tunnel table 9 first.
  const fromInt = dvr ? T.dvrProcess : T.patchLvToTun;
  const fromTun = dvr ? T.dvrNotLearn : T.learnFromTun;
  const flows = [
    `table=0,priority=1,in_port=${PATCH_INT_OFPORT},actions=resubmit(,${fromInt})`,
    ...peers.map((p) => `table=0,priority=1,in_port=${tunnelOfport(lab, p)},actions=resubmit(,${T.vxlan})`),
    'table=0,priority=0,actions=drop',
    `table=${T.patchLvToTun},priority=0,dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,${T.ucastToTun})`,
    `table=${T.patchLvToTun},priority=0,dl_dst=01:00:00:00:00:00/01:00:00:00:00:00,actions=resubmit(,${T.floodToTun})`,
    `table=${T.gre},priority=0,actions=drop`,
    `table=${T.vxlan},priority=0,actions=drop`,
    `table=${T.geneve},priority=0,actions=drop`,
    // Unicast from a tunnel teaches table 20 the way back; l2pop's own entries outrank it.
    `table=${T.learnFromTun},priority=1,actions=learn(table=${T.ucastToTun},hard_timeout=300,priority=1,NXM_OF_VLAN_TCI[0..11],NXM_OF_ETH_DST[]=NXM_OF_ETH_SRC[],load:0->NXM_OF_VLAN_TCI[],load:NXM_NX_TUN_ID[]->NXM_NX_TUN_ID[],output:OXM_OF_IN_PORT[]),output:${PATCH_INT_OFPORT}`,
    `table=${T.ucastToTun},priority=0,actions=resubmit(,${T.floodToTun})`,
    `table=${T.floodToTun},priority=0,actions=drop`,
    ...(dvr ? dvrFlows(lab, host) : []),
  ];
  for (const [network, vlan] of Object.entries(host.localVlans)) {
    const vni = lab.networks.find((n) => n.name === network)?.vni;
    if (vni === undefined) continue;
    const tun = `set_field:${vni}->tun_id`;
    flows.push(`table=${T.vxlan},priority=1,tun_id=${vni},actions=mod_vlan_vid:${vlan},resubmit(,${fromTun})`);
    for (const at of macLocations(lab, network, down)) {
      const peer = byName.get(at.host);
      if (!peer || peer === host) continue;
      flows.push(unicastFlow(vlan, at.mac, vni, tunnelOfport(lab, peer)));
    }
    const flood = peers.filter((p) => network in p.localVlans);
    if (flood.length) flows.push(`table=${T.floodToTun},priority=1,dl_vlan=${vlan},actions=strip_vlan,${tun},${flood.map(out).join(',')}`);
  }
  return flows;
}

/** The OVS agent's DVR flows on br-tun (ovs_dvr_neutron_agent, br_dvr_process): a DVR
 *  router's interface leaves the host under the host's DVR MAC, neither the ARP for its address
 *  nor a frame for its MAC leaves at all (every host has the router), and a frame from another
 *  host's DVR MAC is delivered without table 10 learning it. */
export function dvrFlows(lab: Lab, host: LabHost): string[] {
  const T = TABLES;
  const flows = [
    `table=${T.dvrProcess},priority=0,actions=resubmit(,${T.patchLvToTun})`,
    `table=${T.dvrNotLearn},priority=0,actions=resubmit(,${T.learnFromTun})`,
    ...(lab.hosts?.list ?? [])
      .filter((h) => h !== host && h.dvrMac)
      .map((h) => `table=${T.dvrNotLearn},priority=1,dl_src=${h.dvrMac},actions=output:${PATCH_INT_OFPORT}`),
  ];
  for (const p of lab.nodes.filter((n) => n.host === host.name).flatMap((n) => n.ports)) {
    // A port on the host has its network's local VLAN there.
    const vlan = host.localVlans[p.network];
    if (!p.distributed || !p.mac) continue;
    flows.push(
      `table=${T.dvrProcess},priority=2,dl_vlan=${vlan},dl_dst=${p.mac},actions=drop`,
      `table=${T.dvrProcess},priority=1,dl_vlan=${vlan},dl_src=${p.mac},actions=mod_dl_src:${host.dvrMac},resubmit(,${T.patchLvToTun})`,
      `table=${T.floodToTun},priority=3,dl_vlan=${vlan},arp,arp_tpa=${p.address},actions=drop`,
    );
  }
  return flows;
}

/** The argv that makes one host's l2pop entry for a MAC point at another host's tunnel
 *  (add-flow replaces an entry of the same match and priority). */
export function unicastEntryArgv(lab: Lab, on: LabHost, network: string, mac: string, at: LabHost): string[] {
  const vni = lab.networks.find((n) => n.name === network)?.vni;
  return [
    'ovs-ofctl',
    '-O',
    'OpenFlow13',
    'add-flow',
    `unix:${on.switch.rundir}/br-tun.mgmt`,
    unicastFlow(on.localVlans[network], mac, vni, tunnelOfport(lab, at)),
  ];
}

/** l2pop's unicast entry (install_unicast_to_tun): a MAC on a local VLAN, out of one tunnel
 *  with the network's VNI. */
function unicastFlow(vlan: number, mac: string, vni: number | undefined, ofport: number): string {
  return `table=${TABLES.ucastToTun},priority=2,dl_vlan=${vlan},dl_dst=${mac},actions=strip_vlan,set_field:${vni}->tun_id,output:${ofport}`;
}

/** What an HA router's node runs when it becomes MASTER, in a lab of hosts: Neutron's L3 agent
 *  reports the state change, the server moves the HA ports' binding to this host, and l2pop
 *  tells every other host with the network to send the ports' MACs here. */
export function l2popNotice(lab: Lab, nodeName: string): string[][] {
  const me = hostOf(lab, nodeName);
  const node = lab.nodes.find((n) => n.name === nodeName);
  if (!lab.hosts?.haNotice || !me || !node) return [];
  return node.ports
    .filter((p) => p.vrrpManaged && p.bridge === TUNNELLED_BRIDGE && p.mac)
    .flatMap((p) => lab.hosts!.list.filter((h) => h !== me && p.network in h.localVlans).map((h) => unicastEntryArgv(lab, h, p.network, p.mac!, me)));
}
