// A DVR router on a compute node, as the L3 agent in dvr mode builds it (dvr_local_router.py,
// dvr_fip_ns.py): a veth pair rfp-/fpr- to the host's fip- namespace with a link-local /31
// from 169.254.64.0/18, a rule per floating IP's fixed address to table 16 (out by rfp-),
// a rule per subnet to a table named after the interface's address (out to the snat-
// namespace's port on that subnet), permanent ARP entries for the subnets' ports, and in the
// fip- namespace a /32 route per floating IP back to the router, which its fg- port answers
// ARP for (proxy ARP). Pure: ops, worked out from the lab.
import type { Op } from '../../kinds/ops.js';
import type { Lab, LabNode, LabPort, LabService } from '../../model.js';
import { addressNumber, addressText, contains, stableMac, subnet } from '../../net/addr.js';
import { netns } from '../../runtime/netns/netns.js';
import type { L3Spec } from './l3-agent.js';

/** Neutron's table for floating IPs' traffic and the first priority of their rules. */
export const FIP_TABLE = 16;
export const FIP_RULE_PRIORITY = 32768;
/** Neutron's pool for the router-to-fip links (DVR_FIP_LL_CIDR), a /31 each. */
const LINK_LOCAL_BASE = addressNumber('169.254.64.0');
const LINK_LOCAL_PAIRS = 8192;

export interface DvrSpec {
  /** The router's id as its device names carry it: rfp-<id>, fpr-<id>. */
  routerId: string;
  fipNamespace?: string;
  snatNamespace?: string;
}

/** A device's sysctl, written with slashes: a device's name may hold a dot, which the dotted
 *  form would read as a separator. */
export const deviceSysctl = (family: 'conf' | 'neigh', device: string, key: string) => `net/ipv4/${family}/${device}/${key}`;

/** Its node's name without qrouter- and without the .<host> of a copy: qrouter-r1.compute1 is r1. */
export const dvrRouterId = (node: string) => node.replace(/^qrouter-/, '').split('.')[0];
export const rfpName = (id: string) => `rfp-${id}`;
export const fprName = (id: string) => `fpr-${id}`;

export interface DvrLink {
  rfp: { name: string; address: string; mac: string };
  fpr: { name: string; address: string; mac: string };
}

/** The DVR routers whose floating IPs leave by one fip namespace, in the lab's order. */
function routersOn(lab: Lab, fipNamespace: string): LabService<L3Spec>[] {
  return lab.nodes
    .flatMap((n) => n.services)
    .filter((s): s is LabService<L3Spec> => s.kind === 'l3-agent' && (s.spec as L3Spec).dvr?.fipNamespace === fipNamespace);
}

/** The router's link to its fip namespace: Neutron allocates each router a /31 of the pool on
 *  that host (the router's end first); here in the order the lab lists them. Neutron lets the
 *  kernel choose the ends' MACs; the lab writes each into the other's ARP table, so it
 *  chooses them first. */
export function dvrLink(lab: Lab, router: LabService<L3Spec>): DvrLink {
  const dvr = router.spec.dvr!;
  const index = routersOn(lab, dvr.fipNamespace ?? '').indexOf(router);
  const base = LINK_LOCAL_BASE + 2 * (index % LINK_LOCAL_PAIRS);
  return {
    rfp: { name: rfpName(dvr.routerId), address: addressText(base), mac: stableMac(`${lab.name}/${router.node}/rfp`) },
    fpr: { name: fprName(dvr.routerId), address: addressText(base + 1), mac: stableMac(`${lab.name}/${router.node}/fpr`) },
  };
}

/** Each floating IP's rule priority: Neutron allocates them per fip namespace from 32768. */
function rulePriorities(lab: Lab, fipNamespace: string): Map<string, number> {
  const fips = routersOn(lab, fipNamespace).flatMap((r) => r.spec.floatingIps.map((f) => f.floating));
  return new Map(fips.map((f, i) => [f, FIP_RULE_PRIORITY + i]));
}

/** The table and priority of a subnet's rule to the snat namespace: the interface's address as
 *  a number (Neutron's _get_snat_idx for IPv4). */
export const snatTable = (address: string) => addressNumber(address);

/** The ports a DVR router's interfaces reach on their subnets, which the agent writes as
 *  permanent ARP entries (a reply would go to the router on the far host): every port of the
 *  lab on those networks but the routers' own interfaces. */
export function arpEntries(lab: Lab, router: LabNode): { device: string; address: string; mac: string }[] {
  const seen = new Set<string>();
  return router.ports.flatMap((qr) =>
    lab.nodes
      .flatMap((n) => n.ports)
      // Its own interfaces are distributed, as every DVR router's are.
      .filter((p) => p.network === qr.network && p.mac && !p.distributed && !p.dhcp)
      .flatMap((p) => {
        const key = `${qr.name}/${p.address}`;
        if (seen.has(key)) return [];
        seen.add(key);
        return [{ device: qr.name, address: p.address, mac: p.mac! }];
      }),
  );
}

/** The snat namespace's port on the same network as a router interface: where the subnet's
 *  traffic without a floating IP goes. */
export function snatPortFor(nodes: LabNode[], snatNamespace: string, qr: LabPort): LabPort | undefined {
  return nodes.find((n) => n.name === snatNamespace)?.ports.find((p) => p.network === qr.network);
}

/** The fip namespace's port on the floating IPs' network (fg-). */
export function fgPort(nodes: LabNode[], fipNamespace: string, floating: string): LabPort | undefined {
  return nodes.find((n) => n.name === fipNamespace)?.ports.find((p) => contains(`${p.address}/${p.prefix}`, floating));
}

/** Everything the agent does for one DVR router, in its namespace and in the fip namespace. */
export function dvrOps(lab: Lab, router: LabService<L3Spec>): Op[] {
  const dvr = router.spec.dvr!;
  const node = lab.nodes.find((n) => n.name === router.node);
  if (!node) throw new Error(`${router.node} is not in lab ${lab.name}`);
  const own: string[] = [];
  const ops: Op[] = [];
  for (const qr of node.ports) {
    const sg = dvr.snatNamespace ? snatPortFor(lab.nodes, dvr.snatNamespace, qr) : undefined;
    if (!sg) continue;
    const table = snatTable(qr.address);
    own.push(
      `route replace default via ${sg.address} dev ${qr.name} table ${table}`,
      `rule add from ${subnet(`${qr.address}/${qr.prefix}`).cidr} table ${table} priority ${table}`,
    );
  }
  for (const e of arpEntries(lab, node)) own.push(`neigh replace ${e.address} lladdr ${e.mac} dev ${e.device} nud permanent`);
  if (dvr.fipNamespace && router.spec.floatingIps.length) {
    const link = dvrLink(lab, router);
    const priorities = rulePriorities(lab, dvr.fipNamespace);
    own.push(
      `link add ${link.rfp.name} address ${link.rfp.mac} type veth peer name ${link.fpr.name} address ${link.fpr.mac} netns ${dvr.fipNamespace}`,
      `addr add ${link.rfp.address}/31 dev ${link.rfp.name}`,
      `link set ${link.rfp.name} up`,
      `neigh replace ${link.fpr.address} lladdr ${link.fpr.mac} dev ${link.rfp.name} nud permanent`,
      `route replace default via ${link.fpr.address} dev ${link.rfp.name} table ${FIP_TABLE}`,
      ...router.spec.floatingIps.map((f) => `rule add from ${f.fixed}/32 table ${FIP_TABLE} priority ${priorities.get(f.floating)}`),
    );
    ops.push(netns.ipBatch(router.node, own));
    ops.push(
      netns.ipBatch(dvr.fipNamespace, [
        `addr add ${link.fpr.address}/31 dev ${link.fpr.name}`,
        `link set ${link.fpr.name} up`,
        `neigh replace ${link.rfp.address} lladdr ${link.rfp.mac} dev ${link.fpr.name} nud permanent`,
        ...router.spec.floatingIps.map((f) => `route replace ${f.floating}/32 via ${link.rfp.address} dev ${link.fpr.name}`),
      ]),
    );
    // The fg- port answers ARP for every floating IP routed behind it, without the kernel's
    // random delay of up to 0.8 s (Neutron sets proxy_delay to 1).
    // The resolver made sure the fip namespace has it.
    const fg = fgPort(lab.nodes, dvr.fipNamespace, router.spec.floatingIps[0].floating)!;
    ops.push({
      kind: 'run',
      argv: netns.execNet(dvr.fipNamespace, [
        'sysctl',
        '-q',
        '-w',
        `${deviceSysctl('conf', fg.name, 'proxy_arp')}=1`,
        `${deviceSysctl('neigh', fg.name, 'proxy_delay')}=1`,
      ]),
    });
    return ops;
  }
  return own.length ? [netns.ipBatch(router.node, own)] : [];
}
