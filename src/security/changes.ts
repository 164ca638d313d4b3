// What Neutron's API does to port security, as pure functions of the lab's security state:
// each returns the new state or refuses the way Neutron does (a port with security groups
// cannot turn port security off; allowed address pairs need port security).
import { UserError } from '../errors.js';
import type { Lab } from '../model.js';
import { contains, freeAddress } from '../net/addr.js';
import { nearest } from '../suggest.js';
import { describeRule, portId, type AddressPair, type CreatedPort, type PortSecurity, type SecurityRule, type SecurityState } from './model.js';

export interface PortChange {
  /** node/port */
  port: string;
  pairs?: AddressPair[];
  groups?: string[];
  enabled?: boolean;
  /** --admin-state-up: the port's admin state (at the switch, not its security). */
  adminStateUp?: boolean;
}

/** Whether a change touches the port's security (an admin state change alone does not). */
export const changesSecurity = (c: PortChange) => c.pairs !== undefined || c.groups !== undefined || c.enabled !== undefined;

function notFound(what: string, name: string, known: string[]): UserError {
  const hint = nearest(name, known);
  return new UserError(`${what} ${name} could not be found`, hint ? `did you mean ${hint}?` : `known: ${known.join(', ') || '(none)'}`);
}

export function portsOf(lab: Lab): string[] {
  return lab.nodes.flatMap((n) => n.ports.map(portId));
}

/** A port's security now (port security off when the state does not list it). */
export function portSecurity(state: SecurityState, port: string): PortSecurity {
  return state.ports[port] ?? { enabled: false, groups: [], pairs: [] };
}

export function updatePort(lab: Lab, state: SecurityState, change: PortChange): SecurityState {
  if (!portsOf(lab).includes(change.port)) throw notFound('Port', change.port, portsOf(lab));
  const before = portSecurity(state, change.port);
  for (const g of change.groups ?? [])
    if (!state.groups.some((x) => x.name === g))
      throw notFound(
        'Security group',
        g,
        state.groups.map((x) => x.name),
      );
  const after: PortSecurity = {
    enabled: change.enabled ?? before.enabled,
    groups: change.groups ?? before.groups,
    pairs: change.pairs ?? before.pairs,
  };
  if (!before.enabled && !after.enabled && change.groups?.length) {
    throw new UserError(
      `Port ${change.port} has port security disabled: it cannot have security groups`,
      `enable it in the same update: --port_security_enabled=True`,
    );
  }
  if (!after.enabled && after.groups.length > 0) {
    throw new UserError(
      `Port ${change.port} has security group associated. Cannot disable port security or ip address until security group is removed`,
      `remove them first: neutron port-update ${change.port} --no-security-groups`,
    );
  }
  if (!after.enabled && after.pairs.length > 0) {
    throw new UserError(
      `Port Security must be enabled in order to have allowed address pairs on a port (${change.port})`,
      `clear them first: neutron port-update ${change.port} --allowed-address-pairs action=clear`,
    );
  }
  const adminDown = change.adminStateUp === undefined ? state.adminDown : withAdminState(state.adminDown ?? [], change.port, change.adminStateUp);
  return { ...state, ports: { ...state.ports, [change.port]: after }, adminDown: adminDown?.length ? adminDown : undefined };
}

const withAdminState = (down: string[], port: string, up: boolean) => (up ? down.filter((p) => p !== port) : [...new Set([...down, port])]);

/** A port's admin state now. */
export const adminStateUp = (state: SecurityState, port: string): boolean => !state.adminDown?.includes(port);

export function createRule(state: SecurityState, group: string, rule: Omit<SecurityRule, 'id'>): { state: SecurityState; rule: SecurityRule } {
  const g = state.groups.find((x) => x.name === group);
  if (!g)
    throw notFound(
      'Security group',
      group,
      state.groups.map((x) => x.name),
    );
  const same = g.rules.find((r) => describeRule(r) === describeRule({ ...rule, id: '' }));
  if (same) throw new UserError(`Security group rule already exists. Rule id is ${same.id}.`);
  let n = g.rules.length + 1;
  while (g.rules.some((r) => r.id === `${group}-${n}`)) n++;
  const created: SecurityRule = { id: `${group}-${n}`, ...rule };
  const groups = state.groups.map((x) => (x === g ? { ...x, rules: [...x.rules, created] } : x));
  return { state: { ...state, groups }, rule: created };
}

export function deleteRule(state: SecurityState, id: string): { state: SecurityState; rule: SecurityRule } {
  const rules = state.groups.flatMap((g) => g.rules);
  const rule = rules.find((r) => r.id === id);
  if (!rule)
    throw notFound(
      'Security group rule',
      id,
      rules.map((r) => r.id),
    );
  const groups = state.groups.map((g) => ({ ...g, rules: g.rules.filter((r) => r !== rule) }));
  return { state: { ...state, groups }, rule };
}

/** A port's security in one line: "port security on, groups web, pairs 172.16.200.251". */
export function describePort(s: PortSecurity): string {
  if (!s.enabled) return 'port security off';
  const pairs = s.pairs.map((p) => (p.mac ? `${p.ip} (${p.mac})` : p.ip));
  return `port security on, groups ${s.groups.join(', ') || '(none: all IP dropped)'}${pairs.length ? `, allowed address pairs ${pairs.join(', ')}` : ''}`;
}

/** What `neutron port-create` asks for. */
export interface PortRequest {
  network: string;
  name?: string;
  address?: string;
  pairs: AddressPair[];
}

/** A port with no device: its fixed IP is reserved on the network (given, or the highest free
 *  one), and refused when another port has it, as Neutron's IPAM refuses it. */
export function createPort(lab: Lab, state: SecurityState, req: PortRequest): { state: SecurityState; port: CreatedPort } {
  const net = lab.networks.find((n) => n.name === req.network);
  if (!net)
    throw notFound(
      'Network',
      req.network,
      lab.networks.map((n) => n.name),
    );
  const created = state.created ?? [];
  const taken = [...lab.nodes.flatMap((n) => n.ports.filter((p) => p.network === net.name).map((p) => p.address)), ...created.map((c) => c.address)];
  if (req.address !== undefined && !contains(net.cidr, req.address))
    throw new UserError(`IP address ${req.address} is not in ${net.name}'s subnet ${net.cidr}`);
  if (req.address !== undefined && taken.includes(req.address))
    throw new UserError(`IP address ${req.address} already allocated in subnet ${net.cidr}`, 'see: neutron port-list');
  const address = req.address ?? freeAddress(net.cidr, taken);
  if (!address) throw new UserError(`No more IP addresses available on network ${net.name}`);
  let n = created.length + 1;
  while (created.some((c) => c.id === `port-${n}`)) n++;
  const id = req.name ?? `port-${n}`;
  if (created.some((c) => c.id === id) || portsOf(lab).includes(id)) throw new UserError(`Port ${id} already exists`);
  const port: CreatedPort = { id, network: net.name, address, pairs: req.pairs };
  return { state: { ...state, created: [...created, port] }, port };
}

export function deletePort(state: SecurityState, id: string): { state: SecurityState; port: CreatedPort } {
  const created = state.created ?? [];
  const port = created.find((c) => c.id === id);
  if (!port)
    throw notFound(
      'Port',
      id,
      created.map((c) => c.id),
    );
  const rest = created.filter((c) => c !== port);
  return { state: { ...state, created: rest.length ? rest : undefined }, port };
}

/** "on private, 172.16.200.251, no device, allowed address pairs 172.16.200.251". */
export function describeCreatedPort(c: CreatedPort): string {
  return `on ${c.network}, ${c.address}, no device${c.pairs.length ? `, allowed address pairs ${c.pairs.map((p) => p.ip).join(', ')}` : ''}`;
}
