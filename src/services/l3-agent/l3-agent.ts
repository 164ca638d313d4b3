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

export interface L3Spec {
  gatewayPort: string;
  gatewayAddress: string;
  /** The subnets on the router's other ports, SNAT'd on the way out. */
  internalCidrs: string[];
  enableSnat: boolean;
  floatingIps: { floating: string; fixed: string }[];
  /** keepalived moves the gateway's addresses (an HA router): it adds the floating IPs too. */
  gatewayMovedByVrrp: boolean;
}

const FloatingIp = z
  .strictObject({
    floating_ip_address: Ipv4.describe("on the gateway port's network"),
    fixed_ip_address: Ipv4.describe("on one of the router's internal networks"),
  })
  .describe('A floating IP: DNAT in PREROUTING and OUTPUT, SNAT in float-snat, the address on the gateway port');

const fields = {
  gateway_port: IfName.describe('the port on the external network (qg01)'),
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
    const gw = ctx.port(b.gateway_port, ['gateway_port']);
    // The router's interfaces: every port but the gateway and the HA port, whose network
    // (Neutron's l3_ha_net_cidr, 169.254.192.0/18) is link-local and never SNAT'd.
    const internal = ctx.node.ports.filter((p) => p !== gw && !contains('169.254.0.0/16', p.address));
    b.floating_ips.forEach((f, fi) => {
      if (gw && !contains(`${gw.address}/${gw.prefix}`, f.floating_ip_address)) {
        ctx.report(['floating_ips', fi, 'floating_ip_address'], `${f.floating_ip_address} is not on the gateway's network (${gw.network})`);
      }
      if (!internal.some((p) => contains(`${p.address}/${p.prefix}`, f.fixed_ip_address))) {
        ctx.report(['floating_ips', fi, 'fixed_ip_address'], `${f.fixed_ip_address} is not on any internal network of ${ctx.node.name}`);
      }
    });
    return {
      gatewayPort: b.gateway_port,
      gatewayAddress: gw?.address ?? '',
      internalCidrs: internal.map((p) => subnet(`${p.address}/${p.prefix}`).cidr),
      enableSnat: b.enable_snat,
      floatingIps: b.floating_ips.map((f) => ({ floating: f.floating_ip_address, fixed: f.fixed_ip_address })),
      gatewayMovedByVrrp: gw?.vrrpManaged ?? false,
    };
  },
  checkLab(mine, report) {
    const seen = new Set<string>();
    for (const { node, at } of mine) {
      if (seen.has(node.name)) report([...at, 'kind'], `${node.name} already has an l3-agent: one router per namespace`);
      seen.add(node.name);
    }
  },

  reachableAt: (spec) => spec.floatingIps.map((f) => f.floating),

  describe: (s) =>
    `l3-agent: gateway ${s.spec.gatewayPort}, ${s.spec.floatingIps.length} floating IP${s.spec.floatingIps.length === 1 ? '' : 's'}${s.spec.enableSnat ? ', SNAT' : ''}`,
  start: (s) => [
    // Each floating IP on the gateway port as a /32, so the router answers ARP for it; on an HA
    // router keepalived adds them on the MASTER instead (virtual_ipaddress_excluded).
    ...(s.spec.gatewayMovedByVrrp || s.spec.floatingIps.length === 0
      ? []
      : [
          netns.ipBatch(
            s.node,
            s.spec.floatingIps.map((f) => `addr add ${f.floating}/32 dev ${s.spec.gatewayPort}`),
          ),
        ]),
    { kind: 'run', argv: netns.exec(s.node, ['iptables-restore', '--noflush']), input: renderRouterRules(s.spec) },
  ],

  observer: natObserver,
  rows: natRows,
  summary: natSummary,
  panel: () => 'NAT rules (packets = new flows)',
  details: () => ({ argv: ['iptables', '-t', 'nat', '-S'], keep: (line) => /^-A (neutron|PREROUTING|POSTROUTING)/.test(line) }),
});
