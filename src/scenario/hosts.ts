// A lab of several Neutron hosts: where each host's switch lives, its tunnel endpoint, the
// local VLAN the OVS agent gives each network there, and the MACs l2pop tells the others.
// Pure, like the rest of resolve: names, numbers and problems only.
import { join } from 'node:path';
import type { Path, Report } from '../kinds/path.js';
import type { LabHost, LabHosts, LabNetwork, LabNode } from '../model.js';
import { isNetworkAddress, nthAddress, stableMac, subnet } from '../net/addr.js';
import type { ScenarioFile, ScenarioNode } from './schema.js';
import { DEFAULT_UNDERLAY, fabricNamespace, HOST_BRIDGES, hostNamespace, TUNNELLED_BRIDGE } from '../links/tunnels.js';
import { nearest } from '../suggest.js';

interface HostsInput {
  s: ScenarioFile;
  name: string;
  dir: string;
  networks: LabNetwork[];
  nodes: LabNode[];
  report: Report;
}

/** The hosts of the lab, or undefined for a lab of one switch (where host fields are refused).
 *  Sets each port's local VLAN and, where the file gives none, its MAC. */
export function resolveHosts({ s, name, dir, networks, nodes, report }: HostsInput): LabHosts | undefined {
  if (!s.hosts) {
    refuseHostFields(s, report);
    return undefined;
  }
  const names = s.hosts.map((h) => h.name);
  s.hosts.forEach((h, i) => {
    if (names.indexOf(h.name) !== i) report(['hosts', i, 'name'], `host ${h.name} is defined twice`);
    if (h.name === 'fabric') report(['hosts', i, 'name'], 'fabric is the name of the wires between hosts (namespace lablb-<lab>-fabric); choose another');
  });
  const reserved = new Set([fabricNamespace(name), ...names.map((h) => hostNamespace(name, h))]);
  s.nodes.forEach((n, i) => {
    if (reserved.has(n.name)) report(['nodes', i, 'name'], `${n.name} is reserved for a host's switch`);
  });
  checkBridges(s, report);
  const underlay = s.switch.underlay ?? DEFAULT_UNDERLAY;
  if (s.switch.underlay && !isNetworkAddress(underlay))
    report(['switch', 'underlay'], `${underlay} has host bits set; the network is ${subnet(underlay).cidr}`);
  if (!nthAddress(underlay, s.hosts.length)) report(['switch', 'underlay'], `${underlay} has too few addresses for ${s.hosts.length} hosts`);
  checkNetworks(s, report);
  s.nodes.forEach((n, i) => checkPlacement(n, ['nodes', i], s.hosts!, networks, report));

  // Neutron gives every host of a DVR deployment a MAC of its own for its routers' frames.
  const dvr = nodes.some((n) => n.ports.some((p) => p.distributed));
  const list: LabHost[] = s.hosts.map((h, i) => {
    const here = nodes.filter((n) => n.host === h.name);
    const bridges = [...HOST_BRIDGES, ...(h.external ? s.switch.bridges.filter((b) => b !== TUNNELLED_BRIDGE) : [])];
    return {
      name: h.name,
      role: h.role,
      external: h.external,
      switch: { namespace: hostNamespace(name, h.name), datapath: s.switch.datapath, bridges, rundir: join(dir, 'hosts', h.name, 'ovs') },
      localIp: nthAddress(underlay, i + 1) ?? '',
      // Locally administered: the underlay is the lab's, not Neutron's.
      underlayMac: stableMac(`${name}/${h.name}/br-phy`, '02:00:00'),
      localVlans: localVlans(networks, here),
      ...(dvr ? { dvrMac: dvrMac(name, h.name) } : {}),
    };
  });
  for (const node of nodes) {
    const host = list.find((h) => h.name === node.host);
    for (const p of node.ports) if (p.bridge === TUNNELLED_BRIDGE && host) p.vlan = host.localVlans[p.network];
  }
  giveMacs(name, nodes);
  return {
    fabric: fabricNamespace(name),
    underlay: { cidr: subnet(underlay).cidr, prefix: subnet(underlay).prefix },
    list,
    haNotice: s.switch.l2pop_ha_notice ?? true,
  };
}

/** Host fields in a lab of one switch are a mistake: say so where they are. */
function refuseHostFields(s: ScenarioFile, report: Report): void {
  s.nodes.forEach((n, i) => {
    if (n.host) report(['nodes', i, 'host'], 'host places a node on one of hosts:, which this file does not declare');
  });
  s.networks.forEach((n, i) => {
    if (n.vni !== undefined) report(['networks', i, 'vni'], 'vni is for tunnelled networks between hosts, which this file does not declare (hosts:)');
  });
  s.nodes.forEach((n, i) =>
    n.ports.forEach((p, pi) => {
      if (p.distributed) report(['nodes', i, 'ports', pi, 'distributed'], 'a DVR router runs on several hosts, which this file does not declare (hosts:)');
    }),
  );
  if (s.switch.underlay) report(['switch', 'underlay'], 'underlay joins hosts, which this file does not declare (hosts:)');
  if (s.switch.l2pop_ha_notice !== undefined) report(['switch', 'l2pop_ha_notice'], 'l2pop is between hosts, which this file does not declare (hosts:)');
}

function checkBridges(s: ScenarioFile, report: Report): void {
  if (!s.switch.bridges.includes(TUNNELLED_BRIDGE)) report(['switch', 'bridges'], 'a lab of hosts needs br-int: tenant networks are on it');
  s.switch.bridges.forEach((b, i) => {
    if (b !== TUNNELLED_BRIDGE && (HOST_BRIDGES as readonly string[]).includes(b))
      report(['switch', 'bridges', i], `${b} is made on every host by lablb; drop it from the list`);
  });
  const external = s.switch.bridges.filter((b) => !(HOST_BRIDGES as readonly string[]).includes(b));
  if (external.length > 1)
    report(['switch', 'bridges'], `a lab of hosts has one external bridge (the physical network): ${external.join(', ')} are ${external.length}`);
}

/** Tenant networks are tunnelled (a VNI, no VLAN of their own); the others are not. */
function checkNetworks(s: ScenarioFile, report: Report): void {
  const vnis = new Map<number, string>();
  s.networks.forEach((n, i) => {
    if (n.bridge === TUNNELLED_BRIDGE) {
      if (n.vni === undefined) report(['networks', i], `${n.name} is on br-int in a lab of hosts: give it vni (its VXLAN segmentation id)`);
      if (n.vlan !== undefined) report(['networks', i, 'vlan'], 'each host gives a tunnelled network its own local VLAN on br-int; drop vlan');
      if (n.vni !== undefined && vnis.has(n.vni)) report(['networks', i, 'vni'], `VNI ${n.vni} is already ${vnis.get(n.vni)}'s`);
      if (n.vni !== undefined && !vnis.has(n.vni)) vnis.set(n.vni, n.name);
    } else if (n.vni !== undefined) {
      report(['networks', i, 'vni'], `${n.name} is on ${n.bridge}, the physical network between hosts, not tunnelled; drop vni`);
    }
  });
}

/** A node on a known host (the file's, or one added at run time); a port on an external network
 *  only where the host has br-ex. */
export function checkPlacement(n: ScenarioNode, at: Path, list: { name: string; external: boolean }[], networks: LabNetwork[], report: Report): void {
  const hosts = [...new Set(list.map((h) => h.name))];
  if (!n.host) return report(at, `${n.name} needs host: the host it runs on (${hosts.join(', ')})`);
  const host = list.find((h) => h.name === n.host);
  if (!host) {
    const hint = nearest(n.host, hosts);
    return report(
      [...at, 'host'],
      `no host named ${JSON.stringify(n.host)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; known: ${hosts.join(', ')}`}`,
    );
  }
  if (n.runtime !== 'netns') report([...at, 'runtime'], `a node on a host is a namespace for now (runtime: netns), not runtime: ${n.runtime}`);
  n.ports.forEach((p, pi) => {
    const net = networks.find((x) => x.name === p.network);
    if (net && net.bridge !== TUNNELLED_BRIDGE && !host.external)
      report([...at, 'ports', pi, 'network'], `${p.network} is on ${net.bridge}, and host ${host.name} has none (external: false)`);
    if (p.distributed && net && net.bridge !== TUNNELLED_BRIDGE)
      report([...at, 'ports', pi, 'distributed'], `${p.network} is on ${net.bridge}: a DVR router's interfaces are on tenant networks (br-int)`);
    if (p.security_groups || p.allowed_address_pairs || p.port_security_enabled)
      report([...at, 'ports', pi], 'port security in a lab of hosts is not built yet');
  });
}

/** The OVS agent numbers local VLANs per host, in the order networks appear there. */
function localVlans(networks: LabNetwork[], here: LabNode[]): Record<string, number> {
  const used = networks.filter((net) => net.bridge === TUNNELLED_BRIDGE && here.some((n) => n.ports.some((p) => p.network === net.name)));
  return Object.fromEntries(used.map((net, i) => [net.name, i + 1]));
}

/** l2pop tells every host where each MAC is, so every port needs one: Neutron's prefix and
 *  three bytes from the port's name, stable from run to run. A DVR interface is one port on
 *  several hosts: one MAC for all, the first the file gives. */
export function giveMacs(lab: string, nodes: LabNode[]): void {
  const ports = nodes.flatMap((n) => n.ports);
  const taken = new Set(ports.flatMap((p) => (p.mac ? [p.mac.toLowerCase()] : [])));
  const distributed = new Map<string, string>();
  for (const p of ports) if (p.distributed && p.mac && !distributed.has(`${p.network}/${p.address}`)) distributed.set(`${p.network}/${p.address}`, p.mac);
  for (const p of ports) {
    if (p.mac) continue;
    const shared = p.distributed ? distributed.get(`${p.network}/${p.address}`) : undefined;
    const mac = shared ?? freeMac(p.distributed ? `${lab}/${p.network}/${p.address}` : `${lab}/${p.node}/${p.name}`, 'fa:16:3e', taken);
    if (p.distributed) distributed.set(`${p.network}/${p.address}`, mac);
    taken.add(mac);
    p.mac = mac;
  }
}

/** A host's DVR MAC: Neutron's dvr_base_mac prefix (fa:16:3f) and three bytes of its name. */
export const dvrMac = (lab: string, host: string) => freeMac(`${lab}/${host}`, 'fa:16:3f', new Set());

function freeMac(seed: string, prefix: string, taken: ReadonlySet<string>): string {
  let mac = '';
  for (let salt = 0; !mac || taken.has(mac); salt++) mac = stableMac(`${seed}/${salt}`, prefix);
  return mac;
}
