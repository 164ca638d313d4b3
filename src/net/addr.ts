// IPv4 arithmetic for the resolver and planner, on top of ip-cidr, and the stable MACs they give.
import { createHash } from 'node:crypto';
import IPCIDR from 'ip-cidr';

export interface Subnet {
  cidr: string;
  network: string;
  broadcast: string;
  prefix: number;
}

export function subnet(cidr: string): Subnet {
  const c = new IPCIDR(cidr);
  return {
    cidr: `${c.start()}/${prefixOf(cidr)}`,
    network: c.start(),
    broadcast: c.end(),
    prefix: prefixOf(cidr),
  };
}

export function prefixOf(cidr: string): number {
  return Number(cidr.split('/')[1] ?? 32);
}

export function contains(cidr: string, address: string): boolean {
  return new IPCIDR(cidr).contains(address);
}

export function overlaps(a: string, b: string): boolean {
  const x = subnet(a);
  const y = subnet(b);
  return contains(x.cidr, y.network) || contains(y.cidr, x.network);
}

/** A CIDR whose host bits are set (10.0.0.5/24) names an address, not a network. */
export function isNetworkAddress(cidr: string): boolean {
  return subnet(cidr).network === cidr.split('/')[0];
}

/** An address as a number (10.0.0.1 is 167772161), and back. */
export const addressNumber = (a: string) => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);
export const addressText = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** The highest host address of the subnet that nobody has: a port Neutron creates for a
 *  service (Manila's share server) takes it, clear of the gateway and the scenario's own
 *  addresses, which start low. Undefined when the subnet is full. */
export function freeAddress(cidr: string, taken: readonly string[]): string | undefined {
  const s = subnet(cidr);
  const used = new Set(taken);
  for (let n = addressNumber(s.broadcast) - 1; n > addressNumber(s.network); n--) if (!used.has(addressText(n))) return addressText(n);
  return undefined;
}

/** The subnet's n-th host address (1: the first after the network address); undefined past
 *  its last host. */
export function nthAddress(cidr: string, n: number): string | undefined {
  const s = subnet(cidr);
  const at = addressNumber(s.network) + n;
  return n >= 1 && at < addressNumber(s.broadcast) ? addressText(at) : undefined;
}

/** Its hex form, as Neutron names a tunnel port after the far end (vxlan-c0a84d02). */
export function hexAddress(address: string): string {
  return addressNumber(address).toString(16).padStart(8, '0');
}

/** A MAC of a prefix (fa:16:3e, Neutron's) and three bytes hashed from a seed: the same each
 *  run. */
export function stableMac(seed: string, prefix = 'fa:16:3e'): string {
  const bytes = createHash('sha256').update(seed).digest().subarray(0, 3);
  return `${prefix}:${[...bytes].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
}

/** A dotted quad, each part 0..255 without leading zeros. */
export const isIpv4 = (text: string): boolean => /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(text);
