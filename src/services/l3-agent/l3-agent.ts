// A Neutron router's l3-agent: the iptables chains it writes in the qrouter namespace (filter
// wrappers, DNAT and SNAT per floating IP, SNAT of the internal subnets) and the floating IPs on
// the gateway port. The article writes it on the router node itself (`l3:`), which is this kind's
// block; it runs no process of its own. Its NAT counters are observed and drawn in their panel.
import { z } from 'zod';
import { IfName, Ipv4, Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { subnet, contains } from '../../net/addr.js';
import { netns } from '../../runtime/netns/netns.js';
import { natObserver, natRows, natSummary } from './observe.js';
import { renderRouterRules } from './rules.js';
import { deviceSysctl, dvrOps, dvrRouterId, fgPort, rfpName, snatPortFor, type DvrSpec } from './dvr.js';
import type { StartContext, ServiceContext } from '../../kinds/service-kind.js';
import type { Lab, LabNode, LabPort, LabService } from '../../model.js';
import type { Path, Report } from '../../kinds/path.js';

export interface L3Spec {
  gatewayPort: string;
  gatewayAddress: string;
  /** The subnets on the router's other ports, SNAT'd on the way out. */
  internalCidrs: string[];
  enableSnat: boolean;
  floatingIps: { floating: string; fixed: string }[];
  /** keepalived moves the gateway's addresses (an HA router): it adds the floating IPs too. */
  gatewayMovedByVrrp: boolean;
  /** A DVR router on a compute node: its floating IPs leave by the host's fip namespace, its
   *  other traffic by the snat namespace on a network node. */
  dvr?: DvrSpec;
  /** Its interfaces, whose ICMP redirects a DVR router turns off. */
  internalPorts: string[];
}

const FloatingIp = z
  .strictObject({
    floating_ip_address: Ipv4.describe("on the gateway port's network"),
    fixed_ip_address: Ipv4.describe("on one of the router's internal networks"),
  })
  .describe('A floating IP: DNAT in PREROUTING and OUTPUT, SNAT in float-snat, the address on the gateway port');

const Dvr = z
  .strictObject({
    fip_namespace: Name.optional().describe(
      "the host's fip- node: its port on the external network (fg-) answers for this router's floating IPs, linked to the router by rfp-/fpr-",
    ),
    snat_namespace: Name.optional().describe(
      "a snat- node on a network node: its port on each of the router's subnets (sg-) is where traffic without a floating IP goes, SNAT'd there",
    ),
  })
  .describe("A DVR router on a compute node (Neutron's agent_mode dvr): name the node qrouter-<id>[.<host>], id at most 11 characters");

const fields = {
  gateway_port: IfName.optional().describe('the port on the external network (qg01); a DVR router on a compute node has none'),
  dvr: Dvr.optional(),
  enable_snat: z.boolean().default(true).describe("SNAT the internal subnets to the gateway port's address"),
  floating_ips: z.array(FloatingIp).max(1024).default([]),
};

const Block = z
  .strictObject({ name: Name.describe('unique on the node'), kind: z.literal('l3-agent'), ...fields })
  .describe("The neutron-l3-agent's iptables in a router namespace (usually written as the node's l3:)");

export const l3Agent = serviceKind<L3Spec, z.infer<typeof Block>>({
  kind: 'l3-agent',
  schema: Block,
  nodeField: {
    name: 'l3',
    schema: z.strictObject(fields).describe("The neutron-l3-agent's iptables in a router namespace"),
  },
  example: `name: l3
kind: l3-agent
gateway_port: eth0
floating_ips:
  - { floating_ip_address: 10.0.0.100, fixed_ip_address: 10.0.1.5 }`,
  tools: [
    { command: 'iptables-restore', pkg: 'iptables', versionArgs: ['--version'], why: "the l3-agent's NAT chains" },
    { command: 'iptables-save', pkg: 'iptables', versionArgs: ['--version'], why: 'NAT rule counters' },
  ],

  resolve(b, ctx) {
    if (b.dvr) return resolveDvr(b, ctx);
    if (!b.gateway_port) ctx.report(['gateway_port'], 'a router needs gateway_port (or dvr: for a DVR router on a compute node)');
    const gw = b.gateway_port ? ctx.port(b.gateway_port, ['gateway_port']) : undefined;
    // The router's interfaces: every port but the gateway and the HA port, whose network
    // (Neutron's l3_ha_net_cidr, 169.254.192.0/18) is link-local and never SNAT'd.
    const internal = ctx.node.ports.filter((p) => p !== gw && !contains('169.254.0.0/16', p.address));
    b.floating_ips.forEach((f, fi) => {
      if (gw && !contains(`${gw.address}/${gw.prefix}`, f.floating_ip_address)) {
        ctx.report(['floating_ips', fi, 'floating_ip_address'], `${f.floating_ip_address} is not on the gateway's network (${gw.network})`);
      }
      checkFixed(f.fixed_ip_address, fi, internal, ctx);
    });
    return {
      gatewayPort: b.gateway_port ?? '',
      gatewayAddress: gw?.address ?? '',
      internalCidrs: internal.map((p) => subnet(`${p.address}/${p.prefix}`).cidr),
      enableSnat: b.enable_snat,
      floatingIps: b.floating_ips.map((f) => ({ floating: f.floating_ip_address, fixed: f.fixed_ip_address })),
      gatewayMovedByVrrp: gw?.vrrpManaged ?? false,
      internalPorts: internal.map((p) => p.name),
    };
  },
  checkLab(mine, report, nodes) {
    const seen = new Set<string>();
    for (const { node, at } of mine) {
      if (seen.has(node.name)) report([...at, 'kind'], `${node.name} already has an l3-agent: one router per namespace`);
      seen.add(node.name);
    }
    checkDvrRouters(mine, report, nodes);
  },

  sysctls: (spec) => (spec.dvr?.snatNamespace ? spec.internalPorts.map((p): [string, string] => [deviceSysctl('conf', p, 'send_redirects'), '0']) : []),
  startsAfterNodes: (spec) => (spec.dvr?.fipNamespace ? [spec.dvr.fipNamespace] : []),

  reachableAt: (spec) => spec.floatingIps.map((f) => f.floating),

  describe: (s) =>
    `l3-agent: gateway ${s.spec.gatewayPort}, ${s.spec.floatingIps.length} floating IP${s.spec.floatingIps.length === 1 ? '' : 's'}${s.spec.enableSnat ? ', SNAT' : ''}`,
  start: (s, ctx) => [
    // Each floating IP on the gateway port as a /32, so the router answers ARP for it; on an HA
    // router keepalived adds them on the MASTER instead (virtual_ipaddress_excluded), and a DVR
    // router's fip namespace answers for them.
    ...(s.spec.gatewayMovedByVrrp || s.spec.dvr || s.spec.floatingIps.length === 0
      ? []
      : [
          netns.ipBatch(
            s.node,
            s.spec.floatingIps.map((f) => `addr add ${f.floating}/32 dev ${s.spec.gatewayPort}`),
          ),
        ]),
    ...(s.spec.dvr ? dvrOps(labOf(ctx, s), s) : []),
    { kind: 'run', argv: netns.execNet(s.node, ['iptables-restore', '--noflush']), input: renderRouterRules(s.spec) },
  ],

  observer: natObserver,
  rows: natRows,
  summary: natSummary,
  panel: () => 'NAT rules (packets = new flows)',
  details: () => ({ argv: ['iptables', '-t', 'nat', '-S'], keep: (line) => /^-A (neutron|PREROUTING|POSTROUTING)/.test(line) }),
});

/** A floating IP's fixed address is on one of the router's interfaces. */
function checkFixed(fixed: string, fi: number, internal: LabPort[], ctx: ServiceContext): void {
  if (!internal.some((p) => contains(`${p.address}/${p.prefix}`, fixed)))
    ctx.report(['floating_ips', fi, 'fixed_ip_address'], `${fixed} is not on any internal network of ${ctx.node.name}`);
}

type Block = z.infer<typeof Block>;

/** A DVR router on a compute node: no gateway port of its own (rfp- is its way out), no SNAT
 *  (the snat namespace's), every port an interface. */
function resolveDvr(b: Block, ctx: ServiceContext): L3Spec {
  const dvr = b.dvr!;
  if (b.gateway_port)
    ctx.report(['gateway_port'], 'a DVR router on a compute node has no gateway port: its floating IPs leave by rfp- to the fip namespace; drop gateway_port');
  const routerId = dvrRouterId(ctx.node.name);
  if (!/^[a-z0-9][a-z0-9-]{0,10}$/.test(routerId))
    ctx.report(
      ['dvr'],
      `the router's id ${JSON.stringify(routerId)} (its name without qrouter- and .<host>) must be 1-11 letters, digits or dashes: it names rfp-${routerId}`,
    );
  for (const [field, name] of [
    ['fip_namespace', dvr.fip_namespace],
    ['snat_namespace', dvr.snat_namespace],
  ] as const) {
    if (name !== undefined && !ctx.nodeNames.includes(name)) ctx.report(['dvr', field], ctx.unknown('node', name, ctx.nodeNames));
  }
  if (b.floating_ips.length && !dvr.fip_namespace)
    ctx.report(['dvr', 'fip_namespace'], "a DVR router's floating IPs leave by the host's fip namespace: name it");
  const internal = ctx.node.ports;
  internal.forEach((p) => {
    if (!p.distributed) ctx.report(['dvr'], `${p.name} is not distributed: a DVR router's interfaces are (distributed: true)`);
  });
  b.floating_ips.forEach((f, fi) => checkFixed(f.fixed_ip_address, fi, internal, ctx));
  return {
    gatewayPort: rfpName(routerId),
    gatewayAddress: '',
    internalCidrs: internal.map((p) => subnet(`${p.address}/${p.prefix}`).cidr),
    enableSnat: false,
    floatingIps: b.floating_ips.map((f) => ({ floating: f.floating_ip_address, fixed: f.fixed_ip_address })),
    gatewayMovedByVrrp: false,
    dvr: { routerId, fipNamespace: dvr.fip_namespace, snatNamespace: dvr.snat_namespace },
    internalPorts: internal.map((p) => p.name),
  };
}

/** Across the lab: a DVR router's fip namespace is on its host with a port on its floating
 *  IPs' network, no two routers there share an id, and its snat namespace has a port on each
 *  of its subnets. */
function checkDvrRouters(mine: { service: LabService<L3Spec>; node: LabNode; at: Path }[], report: Report, nodes: LabNode[]): void {
  const ids = new Map<string, string>();
  for (const { service, node, at } of mine) {
    const dvr = service.spec.dvr;
    if (!dvr) continue;
    if (dvr.fipNamespace) {
      const fip = nodes.find((n) => n.name === dvr.fipNamespace);
      if (fip && fip.host !== node.host)
        report([...at, 'dvr', 'fip_namespace'], `${fip.name} is on ${fip.host ?? 'no host'}, not on ${node.name}'s host ${node.host}`);
      const key = `${dvr.fipNamespace}/${dvr.routerId}`;
      if (ids.has(key)) report([...at, 'dvr'], `${ids.get(key)} already links to ${dvr.fipNamespace} as rfp-${dvr.routerId}`);
      ids.set(key, node.name);
      service.spec.floatingIps.forEach((f, fi) => {
        if (fip && !fgPort(nodes, fip.name, f.floating))
          report([...at, 'floating_ips', fi, 'floating_ip_address'], `${f.floating} is not on a network of ${fip.name}, whose port there answers for it`);
      });
    }
    if (dvr.snatNamespace && nodes.some((n) => n.name === dvr.snatNamespace)) {
      node.ports.forEach((qr) => {
        if (!snatPortFor(nodes, dvr.snatNamespace!, qr))
          report([...at, 'dvr', 'snat_namespace'], `${dvr.snatNamespace} has no port on ${qr.network} (${qr.name}'s network)`);
      });
    }
  }
}

/** The lab a DVR router's start reaches into. */
function labOf(ctx: StartContext, s: LabService<L3Spec>): Lab {
  if (!ctx.lab) throw new Error(`${s.node}: a DVR router is started with its lab`);
  return ctx.lab;
}
