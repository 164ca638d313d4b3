// The article's `neutron` commands, read as typed (seed 003), for `lablb neutron ...` and the
// `neutron` of `lablb shell`: port-update with --allowed-address-pairs, --no-security-groups,
// --security-group and --port_security_enabled; security-group-rule-create / -delete / -list;
// port-create / -delete (a port with no device, holding its address), port-show and
// port-list. Every value is checked before it can reach a flow. Blog posts turn
// "--" into a dash ("—port_security_enabled=False"): that is read as "--" too.
import { Cidr, Ipv4, Mac } from '../kinds/fields.js';
import { UserError } from '../errors.js';
import { isNetworkAddress } from '../net/addr.js';
import type { Lab } from '../model.js';
import type { PortChange, PortRequest } from './changes.js';
import { changesSecurity, portsOf } from './changes.js';
import { protocolNumber, type AddressPair, type SecurityRule } from './model.js';

export type NeutronCommand =
  | { kind: 'port-update'; change: PortChange }
  | { kind: 'security-group-rule-create'; group: string; rule: Omit<SecurityRule, 'id'> }
  | { kind: 'security-group-rule-delete'; id: string }
  | { kind: 'security-group-rule-list' }
  | { kind: 'port-create'; request: PortRequest }
  | { kind: 'port-delete'; id: string }
  /** `created`: not a port of the lab's nodes; maybe one port-create made. */
  | { kind: 'port-show'; port: string; created?: boolean }
  | { kind: 'port-list' };

export const NEUTRON_USAGE = `Usage: neutron <command> ...   (inside 'lablb shell'; or: sudo lablb neutron [--lab LAB] <command> ...)

  port-update PORT --allowed-address-pairs type=dict list=true ip_address=IP[,mac_address=MAC] ...
  port-update PORT --allowed-address-pairs action=clear
  port-update PORT --no-security-groups | --security-group GROUP ...
  port-update PORT --port_security_enabled=False|True
  port-update PORT --admin-state-up False|True
  security-group-rule-create --direction ingress|egress [--protocol tcp|udp|icmp|vrrp|N]
                             [--port-range-min N] [--port-range-max N] [--remote-ip-prefix CIDR] GROUP
  security-group-rule-delete RULE_ID
  security-group-rule-list
  port-create NETWORK [--name NAME] [--fixed-ip ip_address=IP]
              [--allowed-address-pairs type=dict list=true ip_address=IP ...]
  port-delete NAME
  port-show PORT
  port-list

PORT is node/port (keepalived01/eth0), or a node with one port (keepalived01).`;

const bad = (message: string) => new UserError(`neutron: ${message}`, 'see: neutron help');

/** "—x" and "–x" as blogs print "--x". */
function normalize(arg: string): string {
  return arg.replace(/^[\u2012-\u2015\u2212]/, '--');
}

/** node/port, a node with exactly one port, or a port's Neutron id. */
export function resolvePort(lab: Lab, ref: string | undefined): string {
  if (!ref) throw bad('which port? give it as node/port, e.g. keepalived01/eth0');
  const all = portsOf(lab);
  if (all.includes(ref)) return ref;
  const byId = lab.nodes.flatMap((n) => n.ports).find((p) => p.id === ref);
  if (byId) return `${byId.node}/${byId.name}`;
  const node = lab.nodes.find((n) => n.name === ref);
  if (node?.ports.length === 1) return `${node.name}/${node.ports[0].name}`;
  if (node) throw bad(`${ref} has several ports: ${node.ports.map((p) => `${ref}/${p.name}`).join(', ')}`);
  throw new UserError(`Port ${ref} could not be found`, `ports: ${all.join(', ')}`);
}

/** Options as [name, value?] in order: "--a=b" and "--a b" alike; bare words are positionals. */
interface Parsed {
  options: { name: string; values: string[] }[];
  positionals: string[];
}

/** A name port-create may give a port. */
const PORT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Flags that take no value, and the one that takes key=value words after it. */
const FLAGS = new Set(['no-security-groups', 'no-allowed-address-pairs']);

function parse(args: string[]): Parsed {
  const out: Parsed = { options: [], positionals: [] };
  for (let i = 0; i < args.length; i++) {
    const a = normalize(args[i]);
    if (!a.startsWith('--')) {
      out.positionals.push(a);
      continue;
    }
    const [raw, inline] = a.slice(2).split(/=(.*)/s, 2);
    const name = raw.replace(/_/g, '-');
    if (inline !== undefined) out.options.push({ name, values: [inline] });
    else if (FLAGS.has(name)) out.options.push({ name, values: [] });
    else if (name === 'allowed-address-pairs') {
      // Every key=value word after it belongs to it.
      const values: string[] = [];
      while (i + 1 < args.length && /^([a-z_]+=|type-dict$|list-true$)/.test(args[i + 1])) values.push(args[++i].replace(/^(type|list)-/, '$1='));
      out.options.push({ name, values });
    } else {
      // A last option without its value: `known` says first whether it is an option at all.
      out.options.push({ name, values: i + 1 < args.length ? [args[++i]] : [] });
    }
  }
  return out;
}

function one(p: Parsed, name: string): string | undefined {
  const found = p.options.filter((o) => o.name === name);
  if (found.length > 1) throw bad(`--${name} is given twice`);
  return found[0]?.values[0];
}

function known(p: Parsed, names: string[]): void {
  for (const o of p.options) {
    if (!names.includes(o.name))
      throw bad(
        names.length
          ? `unknown option --${o.name}; this command takes ${names.map((n) => `--${n}`).join(', ')}`
          : `unknown option --${o.name}; this command takes none`,
      );
    if (o.values.length === 0 && !FLAGS.has(o.name) && o.name !== 'allowed-address-pairs') throw bad(`--${o.name} needs a value`);
  }
}

function bool(name: string, v: string): boolean {
  if (/^true$/i.test(v)) return true;
  if (/^false$/i.test(v)) return false;
  throw bad(`--${name} is True or False, not ${JSON.stringify(v)}`);
}

/** The words after --allowed-address-pairs: type=dict list=true ip_address=X[,mac_address=Y] ... */
function addressPairs(words: string[]): AddressPair[] {
  if (words.length === 1 && words[0] === 'action=clear') return [];
  const pairs: AddressPair[] = [];
  for (const word of words) {
    if (word === 'type=dict' || word === 'list=true') continue;
    const fields = Object.fromEntries(word.split(',').map((kv) => kv.split(/=(.*)/s, 2)));
    for (const k of Object.keys(fields))
      if (k !== 'ip_address' && k !== 'mac_address') throw bad(`an allowed address pair has ip_address= and mac_address=, not ${k}=`);
    const ip = fields.ip_address;
    if (!ip || !(Ipv4.safeParse(ip).success || (Cidr.safeParse(ip).success && isNetworkAddress(ip))))
      throw bad(`ip_address ${JSON.stringify(ip ?? '')} is not an IPv4 address or network`);
    const mac = fields.mac_address;
    if (mac !== undefined && !Mac.safeParse(mac).success) throw bad(`mac_address ${JSON.stringify(mac)} is not a MAC address`);
    pairs.push({ ip, ...(mac ? { mac: mac.toLowerCase() } : {}) });
  }
  if (pairs.length === 0) throw bad('--allowed-address-pairs needs ip_address=... (or action=clear)');
  return pairs;
}

function int(name: string, v: string | undefined, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,5}$/.test(v) || Number(v) > max) throw bad(`--${name} is a number from 0 to ${max}, not ${JSON.stringify(v)}`);
  return Number(v);
}

export function parseNeutron(argv: string[], lab: Lab): NeutronCommand {
  const [command, ...args] = argv;
  const p = parse(args);
  switch (command) {
    case 'port-update': {
      known(p, ['allowed-address-pairs', 'no-allowed-address-pairs', 'no-security-groups', 'security-group', 'port-security-enabled', 'admin-state-up']);
      if (p.positionals.length !== 1) throw bad(`port-update takes one port, got ${p.positionals.length ? p.positionals.join(' ') : 'none'}`);
      const change: PortChange = { port: resolvePort(lab, p.positionals[0]) };
      const pairs = p.options.filter((o) => o.name === 'allowed-address-pairs');
      if (pairs.length) change.pairs = pairs.flatMap((o) => addressPairs(o.values));
      if (p.options.some((o) => o.name === 'no-allowed-address-pairs')) change.pairs = [];
      const groups = p.options.filter((o) => o.name === 'security-group').map((o) => o.values[0]);
      if (p.options.some((o) => o.name === 'no-security-groups')) {
        if (groups.length) throw bad('--no-security-groups and --security-group together');
        change.groups = [];
      } else if (groups.length) change.groups = groups;
      const ps = one(p, 'port-security-enabled');
      if (ps !== undefined) change.enabled = bool('port_security_enabled', ps);
      const admin = one(p, 'admin-state-up');
      if (admin !== undefined) change.adminStateUp = bool('admin-state-up', admin);
      if (!changesSecurity(change) && change.adminStateUp === undefined)
        throw bad('port-update: say what changes (--allowed-address-pairs, --no-security-groups, --security-group, --port_security_enabled, --admin-state-up)');
      return { kind: 'port-update', change };
    }
    case 'security-group-rule-create': {
      known(p, ['direction', 'protocol', 'ethertype', 'port-range-min', 'port-range-max', 'remote-ip-prefix', 'remote-group-id']);
      if (p.positionals.length !== 1) throw bad('security-group-rule-create takes one security group');
      if (one(p, 'remote-group-id') !== undefined) throw bad('--remote-group-id is not modelled by lablb; use --remote-ip-prefix');
      const ethertype = one(p, 'ethertype');
      if (ethertype !== undefined && ethertype !== 'IPv4') throw bad('lablb models IPv4 rules only (--ethertype IPv4)');
      const direction = one(p, 'direction') ?? 'ingress';
      if (direction !== 'ingress' && direction !== 'egress') throw bad(`--direction is ingress or egress, not ${JSON.stringify(direction)}`);
      const proto = one(p, 'protocol');
      const protocol = proto === undefined || proto === 'any' ? undefined : protocolNumber(proto.toLowerCase());
      if (proto !== undefined && proto !== 'any' && protocol === undefined)
        throw bad(`--protocol is tcp, udp, icmp, vrrp or a number from 0 to 255, not ${JSON.stringify(proto)}`);
      const portMin = int('port-range-min', one(p, 'port-range-min'), 65535);
      const portMax = int('port-range-max', one(p, 'port-range-max'), 65535);
      if ((portMin !== undefined || portMax !== undefined) && protocol !== 6 && protocol !== 17 && protocol !== 1)
        throw bad('port ranges need --protocol tcp, udp or icmp');
      if (portMax !== undefined && portMin === undefined) throw bad('--port-range-max needs --port-range-min');
      if (protocol !== 1 && portMin !== undefined && portMax !== undefined && portMax < portMin) throw bad('--port-range-max is below --port-range-min');
      const remote = one(p, 'remote-ip-prefix');
      if (remote !== undefined && !(Cidr.safeParse(remote).success && isNetworkAddress(remote)))
        throw bad(`--remote-ip-prefix ${JSON.stringify(remote)} is not an IPv4 network such as 10.0.0.0/24`);
      return {
        kind: 'security-group-rule-create',
        group: p.positionals[0],
        rule: {
          direction,
          ...(protocol !== undefined ? { protocol } : {}),
          ...(portMin !== undefined ? { portMin } : {}),
          ...(portMax !== undefined ? { portMax } : {}),
          ...(remote && remote !== '0.0.0.0/0' ? { remote } : {}),
        },
      };
    }
    case 'security-group-rule-delete':
      known(p, []);
      if (p.positionals.length !== 1) throw bad('security-group-rule-delete takes one rule id (see security-group-rule-list)');
      return { kind: 'security-group-rule-delete', id: p.positionals[0] };
    case 'security-group-rule-list':
      known(p, []);
      return { kind: 'security-group-rule-list' };
    case 'port-create': {
      known(p, ['name', 'fixed-ip', 'allowed-address-pairs']);
      if (p.positionals.length !== 1) throw bad('port-create takes one network');
      const name = one(p, 'name');
      if (name !== undefined && !PORT_NAME.test(name)) throw bad(`--name ${JSON.stringify(name)}: letters, digits and ._- (up to 64)`);
      const fixed = one(p, 'fixed-ip');
      const address = fixed === undefined ? undefined : /^ip_address=(.*)$/.exec(fixed)?.[1];
      if (fixed !== undefined && (address === undefined || !Ipv4.safeParse(address).success))
        throw bad(`--fixed-ip is ip_address=IP, such as ip_address=172.16.200.251, not ${JSON.stringify(fixed)}`);
      const pairs = p.options.filter((o) => o.name === 'allowed-address-pairs').flatMap((o) => addressPairs(o.values));
      return { kind: 'port-create', request: { network: p.positionals[0], ...(name ? { name } : {}), ...(address ? { address } : {}), pairs } };
    }
    case 'port-delete':
      known(p, []);
      if (p.positionals.length !== 1 || !PORT_NAME.test(p.positionals[0])) throw bad('port-delete takes one port made by port-create (see port-list)');
      return { kind: 'port-delete', id: p.positionals[0] };
    case 'port-show': {
      known(p, []);
      const ref = p.positionals[0];
      // Not a node's port: perhaps one port-create made, which only the lab's state knows.
      if (
        ref &&
        PORT_NAME.test(ref) &&
        !ref.includes('/') &&
        !lab.nodes.some((n) => n.name === ref) &&
        !lab.nodes.some((n) => n.ports.some((x) => x.id === ref))
      )
        return { kind: 'port-show', port: ref, created: true };
      return { kind: 'port-show', port: resolvePort(lab, ref) };
    }
    case 'port-list':
      known(p, []);
      return { kind: 'port-list' };
    default:
      throw new UserError(command ? `neutron: unknown command ${JSON.stringify(command)}` : 'neutron: which command?', NEUTRON_USAGE);
  }
}
