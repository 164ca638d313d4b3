// The live state every observer folds into and every reader (waits, checks, the screen, the
// JSON stream) reads: one set of typed facts, so they all see the same thing.
import type { Sample } from '../sample.js';
import type { DropReason } from '../security/flows.js';
import type { PortSecurity } from '../security/model.js';

/** A load balancer member as its load balancer sees it. */
export interface MemberFact {
  /** node/service of the load balancer. */
  loadbalancer: string;
  /** The member's id in the load balancer. */
  member: string;
  /** The node that hosts it. */
  node: string;
  /** UP, DOWN, "UP 1/3" (going down), "DOWN 1/2" (going up), MAINT, ... */
  status: string;
  sessions: number;
  checkStatus: string;
}

/** A VRRP instance's state as its daemon last said. */
export interface VrrpFact {
  node: string;
  service: string;
  instance: string;
  vrid: number;
  priority: number;
  /** INIT until the daemon says otherwise; then BACKUP, MASTER, FAULT, STOP. */
  state: string;
}

export interface AddressFact {
  dev: string;
  /** address/prefix */
  address: string;
}

export interface NatRuleFact {
  router: string;
  /** A short name for screens: "DNAT 10.255.253.100 -> 10.0.0.100". */
  label: string;
  rule: string;
  packets: number;
}

/** A port's Neutron port security now, and what its drop flows have dropped. */
export interface PortSecurityFact extends PortSecurity {
  summary: string;
  drops: Record<DropReason, number>;
}

export interface Facts {
  members: MemberFact[];
  vrrp: VrrpFact[];
  /** node -> the IPv4 addresses it holds now (undefined until first read). */
  addresses: Record<string, AddressFact[]>;
  nat: NatRuleFact[];
  /** node/port -> its port security (ports the lab never secured are absent). */
  security: Record<string, PortSecurityFact>;
  /** probe name -> its results so far. */
  probes: Record<string, readonly Sample[]>;
}

export function emptyFacts(): Facts {
  return { members: [], vrrp: [], addresses: {}, nat: [], security: {}, probes: {} };
}

/** The nodes holding an address now (by address without prefix). */
export function holdersOf(facts: Facts, address: string): string[] {
  return Object.entries(facts.addresses)
    .filter(([, list]) => list.some((a) => a.address.split('/')[0] === address))
    .map(([node]) => node)
    .sort();
}
