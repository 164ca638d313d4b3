// The blocks of port security a scenario file (and a step) writes, in Neutron's field names.
import { z } from 'zod';
import { Cidr, Ipv4, Mac, Name } from '../kinds/fields.js';
import type { Report } from '../kinds/path.js';
import { isNetworkAddress, subnet } from '../net/addr.js';
import { protocolNumber, type SecurityRule } from './model.js';

export const AddressPair = z
  .strictObject({
    ip_address: z.union([Ipv4, Cidr], { error: 'an IPv4 address or network, such as 172.16.200.251' }).describe('an address or CIDR the port may use'),
    mac_address: Mac.optional().describe("the MAC it may use with it (default: the port's)"),
  })
  .describe('An allowed address pair, as `neutron port-update --allowed-address-pairs` sets it');

export const SecurityRuleBlock = z
  .strictObject({
    direction: z.enum(['ingress', 'egress']).describe('ingress: traffic to the port; egress: from it'),
    protocol: z
      .union([z.enum(['tcp', 'udp', 'icmp', 'vrrp']), z.int().min(0).max(255)], {
        error: 'a protocol: tcp, udp, icmp, vrrp or a number from 0 to 255 (112 is VRRP)',
      })
      .optional()
      .describe('tcp, udp, icmp, vrrp or an IP protocol number (112); none: any'),
    port_range_min: z.int().min(0).max(65535).optional().describe('tcp/udp: the first destination port; icmp: the type'),
    port_range_max: z.int().min(0).max(65535).optional().describe('tcp/udp: the last destination port; icmp: the code'),
    remote_ip_prefix: Cidr.optional().describe('the far end: the source for ingress, the destination for egress (default: anywhere)'),
  })
  .describe('An allow rule; traffic no rule allows is dropped, replies to allowed traffic pass');

export const SecurityGroupBlock = z
  .strictObject({
    name: Name.describe('how ports name it'),
    rules: z.array(SecurityRuleBlock).max(256).default([]),
  })
  .describe('A Neutron security group: allow rules, stateful');

export type RuleBlock = z.infer<typeof SecurityRuleBlock>;

/** A rule block as a rule (without its id), with its problems reported. */
export function ruleOf(r: RuleBlock, report: Report): Omit<SecurityRule, 'id'> {
  const protocol = r.protocol === undefined ? undefined : protocolNumber(r.protocol);
  const ported = protocol === 6 || protocol === 17 || protocol === 1;
  if (r.port_range_min !== undefined && !ported) report(['port_range_min'], 'port ranges need protocol tcp, udp or icmp');
  if (r.port_range_max !== undefined && r.port_range_min === undefined) report(['port_range_max'], 'give port_range_min too');
  if (protocol !== 1 && r.port_range_max !== undefined && r.port_range_min !== undefined && r.port_range_max < r.port_range_min) {
    report(['port_range_max'], `port_range_max ${r.port_range_max} is below port_range_min ${r.port_range_min}`);
  }
  if (r.remote_ip_prefix && !isNetworkAddress(r.remote_ip_prefix))
    report(['remote_ip_prefix'], `${r.remote_ip_prefix} has host bits set; the network is ${subnet(r.remote_ip_prefix).cidr}`);
  return {
    direction: r.direction,
    ...(protocol !== undefined ? { protocol } : {}),
    ...(r.port_range_min !== undefined ? { portMin: r.port_range_min } : {}),
    ...(r.port_range_max !== undefined ? { portMax: r.port_range_max } : {}),
    ...(r.remote_ip_prefix ? { remote: r.remote_ip_prefix } : {}),
  };
}
