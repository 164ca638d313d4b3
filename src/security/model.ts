// Neutron's port security as the lab models it: security groups (allow rules by direction,
// protocol, port range and remote prefix), and per port the groups it is in, its allowed
// address pairs and whether port security is on at all. The state changes on a running lab
// (steps, `lablb neutron ...`), so it lives in the lab's dir beside its journal.

export type { AddressPair, Direction, PortSecurity, SecurityGroup, SecurityRule } from '../model.js';
import type { AddressPair, Lab, LabPort, PortSecurity, SecurityGroup, SecurityRule } from '../model.js';

export interface SecurityState {
  groups: SecurityGroup[];
  /** node/port -> its security; ports not listed have port security off. */
  ports: Record<string, PortSecurity>;
  /** Ports whose admin state is down (node/port): the OVS agent drops all they send. */
  adminDown?: string[];
  /** Ports `neutron port-create` made: no device, so no flows; each holds its address. */
  created?: CreatedPort[];
}

/** A port made through the API with no instance behind it (seed 003's VIP port): it reserves
 *  its fixed IP on its network, so no other port gets it. */
export interface CreatedPort {
  id: string;
  network: string;
  address: string;
  pairs: AddressPair[];
}

/** Neutron's protocol names; any other protocol is given by number. */
export const PROTOCOLS: Record<string, number> = { icmp: 1, tcp: 6, udp: 17, vrrp: 112 };

export function protocolNumber(name: string | number): number | undefined {
  if (typeof name === 'number') return Number.isInteger(name) && name >= 0 && name <= 255 ? name : undefined;
  if (name in PROTOCOLS) return PROTOCOLS[name];
  return /^\d{1,3}$/.test(name) && Number(name) <= 255 ? Number(name) : undefined;
}

export function protocolName(n: number | undefined): string {
  if (n === undefined) return 'any';
  return Object.entries(PROTOCOLS).find(([, v]) => v === n)?.[0] ?? String(n);
}

export const portId = (p: Pick<LabPort, 'node' | 'name'>) => `${p.node}/${p.name}`;

/** "ingress vrrp from 0.0.0.0/0", "ingress tcp 80 from 10.0.0.0/8", "egress any". */
export function describeRule(r: SecurityRule): string {
  const ports = r.portMin === undefined ? '' : r.portMax !== undefined && r.portMax !== r.portMin ? ` ${r.portMin}-${r.portMax}` : ` ${r.portMin}`;
  const remote = r.remote ? ` ${r.direction === 'ingress' ? 'from' : 'to'} ${r.remote}` : '';
  return `${r.direction} ${protocolName(r.protocol)}${ports}${remote}`;
}

/** The state a lab starts with, from its scenario. */
export function initialSecurity(lab: Lab): SecurityState {
  const ports: Record<string, PortSecurity> = {};
  for (const p of lab.nodes.flatMap((n) => n.ports)) if (p.security) ports[portId(p)] = structuredClone(p.security);
  return { groups: structuredClone(lab.securityGroups ?? []), ports };
}

/** Whether the lab models port security at all: labs that do not keep Open vSwitch's plain
 *  NORMAL switching, untouched. */
export function usesPortSecurity(lab: Lab): boolean {
  return (lab.securityGroups?.length ?? 0) > 0 || lab.nodes.some((n) => n.ports.some((p) => p.security));
}
