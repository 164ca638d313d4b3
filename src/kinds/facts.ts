// The live state every observer folds into and every reader (waits, checks, the screen, the
// JSON stream) reads: one set of typed facts, so they all see the same thing.
import type { Sample } from '../sample.js';
import type { PortSecurity } from '../model.js';

export interface AddressFact {
  dev: string;
  /** address/prefix */
  address: string;
}

/** A port's Neutron port security now, and what its drop flows have dropped. */
export interface PortSecurityFact extends PortSecurity {
  summary: string;
  /** Drop reason (src/security/flows.ts) -> packets its flows dropped. */
  drops: Record<string, number>;
}

export interface Facts {
  /** node/service -> what its kind observes, in the kind's own shape: only the kind reads it
   *  (its rows, its waits, whether it has settled); see `serviceFacts`. */
  services: Record<string, unknown>;
  /** node -> the IPv4 addresses it holds now (undefined until first read). */
  addresses: Record<string, AddressFact[]>;
  /** node/port -> its port security (ports the lab never secured are absent). */
  security: Record<string, PortSecurityFact>;
  /** probe name -> its results so far. */
  probes: Record<string, readonly Sample[]>;
  /** host -> when it died (ms since the epoch), in a lab of hosts: what a scheduler counts from. */
  hostsDown: Record<string, number>;
}

/** The hosts that died (agent-down with host:) so far. */
export const downHosts = (facts: Facts): Set<string> => new Set(Object.keys(facts.hostsDown));

export function emptyFacts(): Facts {
  return { services: {}, addresses: {}, security: {}, probes: {}, hostsDown: {} };
}

/** The nodes holding an address now (by address without prefix). */
export function holdersOf(facts: Facts, address: string): string[] {
  return Object.entries(facts.addresses)
    .filter(([, list]) => list.some((a) => a.address.split('/')[0] === address))
    .map(([node]) => node)
    .sort();
}

/** A service's own facts, made on first use: its kind is the only one that knows the shape. */
export function serviceFacts<F>(facts: Facts, service: { node: string; name: string }, fresh: () => F): F {
  const key = `${service.node}/${service.name}`;
  return (facts.services[key] ??= fresh()) as F;
}
