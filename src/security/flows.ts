// Port security as OpenFlow rules in the lab's own Open vSwitch, shaped like Neutron's OVS
// agent (reference/NEUTRON.md section 4): table 24 lets a port's ARP through only for its
// addresses (arp_spa per fixed IP and per allowed pair), table 25 only frames and packets from
// its MACs and addresses, then security groups as allow rules, stateful through conntrack like
// Neutron's openvswitch firewall: replies of an allowed connection pass both ways.
//
//   table 0   secured port: ARP -> 24, the rest -> 25; other ports of its network -> 60
//   table 24  ARP spoofing: arp_spa of the port's addresses -> 25, else drop
//   table 25  MAC/IP spoofing: dl_src (and nw_src) of the port's pairs -> 60, else drop
//   table 60  IP: broadcast/multicast skips conntrack (no replies; VRRP must meet the ingress
//             rules on every advert); unicast -> ct(zone=network) -> 61; non-IP (ARP) NORMAL
//   table 61  established/related NORMAL, invalid drop; new: the sender's egress rules -> 62
//   table 62  to a secured port: its ingress rules (81 unicast, commit; 82 multicast, per port);
//             to anyone else: commit, NORMAL
// Drop flows carry a cookie naming the port and the reason, so the screen counts them.
// Pure: the same state always renders the same text, which `ovs-ofctl replace-flows` applies.
import type { Lab, LabPort } from '../model.js';
import { portId, type PortSecurity, type SecurityRule, type SecurityState } from './model.js';

export const DROP_REASONS = ['arp-spoof', 'ip-spoof', 'egress', 'ingress'] as const;
export type DropReason = (typeof DROP_REASONS)[number];

/** Each drop reason in words, with its table. */
export const DROP_SAID: Record<DropReason, string> = {
  'arp-spoof': 'ARP from an address it was not given (table 24)',
  'ip-spoof': 'IP from an address it was not given (table 25)',
  egress: 'egress, no security group rule (table 61)',
  ingress: 'ingress, no security group rule (tables 81/82)',
};

const COOKIE_BASE = 0x5ec00000;
export function dropCookie(portIndex: number, reason: DropReason): number {
  return COOKIE_BASE + portIndex * 16 + DROP_REASONS.indexOf(reason) + 1;
}
/** The port index and reason of a drop flow's cookie, or undefined for another flow. */
export function parseDropCookie(cookie: number): { portIndex: number; reason: DropReason } | undefined {
  const rest = cookie - COOKIE_BASE;
  const reason = DROP_REASONS[(rest % 16) - 1];
  return rest > 0 && rest < 0x100000 && reason ? { portIndex: Math.floor(rest / 16), reason } : undefined;
}

const MULTICAST = 'dl_dst=01:00:00:00:00:00/01:00:00:00:00:00';

/** The masked values that together match exactly lo..hi (tp_dst=0x50/0xfff0 ...). */
export function rangeMasks(lo: number, hi: number): string[] {
  const out: string[] = [];
  while (lo <= hi) {
    let size = 1;
    // The largest aligned block starting at lo that stays within hi.
    while (size < 0x10000 && lo % (size * 2) === 0 && lo + size * 2 - 1 <= hi) size *= 2;
    out.push(size === 1 ? String(lo) : `0x${lo.toString(16)}/0x${(0xffff & ~(size - 1)).toString(16)}`);
    lo += size;
  }
  return out;
}

/** One rule as OpenFlow matches (several for a port range). */
export function ruleMatches(r: SecurityRule): string[] {
  const proto =
    r.protocol === 6 ? 'tcp' : r.protocol === 17 ? 'udp' : r.protocol === 1 ? 'icmp' : r.protocol === undefined ? 'ip' : `ip,nw_proto=${r.protocol}`;
  const remote = r.remote && r.remote !== '0.0.0.0/0' ? `,${r.direction === 'ingress' ? 'nw_src' : 'nw_dst'}=${r.remote}` : '';
  const base = `${proto}${remote}`;
  if (r.portMin === undefined) return [base];
  if (r.protocol === 1) return [`${base},icmp_type=${r.portMin}${r.portMax !== undefined ? `,icmp_code=${r.portMax}` : ''}`];
  if (r.protocol !== 6 && r.protocol !== 17) return [base];
  return rangeMasks(r.portMin, r.portMax ?? r.portMin).map((m) => `${base},tp_dst=${m}`);
}

export interface SecuredPort {
  port: LabPort;
  /** Its position among the lab's ports, from 1: reg5 and the drop cookies name it by this. */
  index: number;
  mac: string;
  security: PortSecurity;
}

/** The rules of a port's groups in one direction. */
function rulesOf(state: SecurityState, s: PortSecurity, direction: SecurityRule['direction']): SecurityRule[] {
  return s.groups.flatMap((g) => state.groups.find((x) => x.name === g)?.rules ?? []).filter((r) => r.direction === direction);
}

/** Every bridge's flow table for this state; `macs` gives each secured port's MAC (node/port). */
export function renderFlows(lab: Lab, state: SecurityState, macs: Record<string, string>): Record<string, string> {
  const all = lab.nodes.flatMap((n) => n.ports);
  const secured = (p: LabPort): SecuredPort | undefined => {
    const security = state.ports[portId(p)];
    return security?.enabled ? { port: p, index: all.indexOf(p) + 1, mac: macs[portId(p)] ?? p.mac ?? '', security } : undefined;
  };
  const out: Record<string, string> = {};
  for (const bridge of lab.switch.bridges) {
    const flows: string[] = [];
    lab.networks.forEach((net, ni) => {
      if (net.bridge !== bridge) return;
      const ports = all.filter((p) => p.network === net.name);
      const guarded = ports.map(secured).filter((s): s is SecuredPort => s !== undefined);
      if (guarded.length > 0) flows.push(...networkFlows(ports, guarded, ni + 1, state));
    });
    // A port whose admin state is down sends nothing (the OVS agent's drop flow for a dead
    // port): above every other flow of the port, since port security's own flows would pass it.
    for (const p of all.filter((x) => x.bridge === bridge && state.adminDown?.includes(portId(x))))
      flows.push(`table=0,priority=100,in_port=${p.bridgePort},actions=drop`);
    flows.push('table=0,priority=0,actions=NORMAL');
    out[bridge] = `${flows.join('\n')}\n`;
  }
  return out;
}

function networkFlows(ports: LabPort[], guarded: SecuredPort[], zone: number, state: SecurityState): string[] {
  const f: string[] = [];
  const isGuarded = (p: LabPort) => guarded.find((g) => g.port === p);
  for (const p of ports) {
    const g = isGuarded(p);
    const at = `in_port=${p.bridgePort}`;
    if (g) {
      f.push(`table=0,priority=10,arp,${at},actions=resubmit(,24)`, `table=0,priority=9,${at},actions=resubmit(,25)`);
    } else {
      f.push(`table=0,priority=9,${at},actions=resubmit(,60)`);
    }
    f.push(
      `table=60,priority=100,ip,${at},${MULTICAST},actions=load:${zone}->NXM_NX_REG6[],resubmit(,61)`,
      `table=60,priority=90,ip,${at},actions=load:${zone}->NXM_NX_REG6[],ct(table=61,zone=${zone})`,
      `table=60,priority=80,${at},actions=NORMAL`,
    );
  }
  for (const g of guarded) f.push(...antiSpoof(g), ...securityGroups(g, zone, state));
  // Multicast and broadcast IP of this network: to each port itself, through its ingress rules
  // when it has any (output to the in_port is skipped by Open vSwitch).
  // A port whose admin state is down receives none of it either (the dead VLAN does that for NORMAL).
  const fanout = ports
    .filter((p) => !state.adminDown?.includes(portId(p)))
    .map((p) => (isGuarded(p) ? `load:${isGuarded(p)!.index}->NXM_NX_REG5[],resubmit(,82)` : `output:${p.bridgePort}`));
  f.push(`table=62,priority=100,reg6=${zone},ip,${MULTICAST},actions=${fanout.join(',')}`);
  f.push(`table=62,priority=10,reg6=${zone},ip,actions=ct(commit,zone=${zone}),NORMAL`);
  f.push(
    `table=61,priority=100,reg6=${zone},ct_state=+trk+est-inv,ip,actions=NORMAL`,
    `table=61,priority=100,reg6=${zone},ct_state=+trk+rel-inv,ip,actions=NORMAL`,
    `table=61,priority=100,reg6=${zone},ct_state=+trk+inv,ip,actions=drop`,
    `table=61,priority=10,reg6=${zone},ip,actions=resubmit(,62)`,
  );
  return f;
}

/** Tables 24 and 25: only the port's own addresses and MACs, and its allowed pairs'. */
function antiSpoof(g: SecuredPort): string[] {
  const at = `in_port=${g.port.bridgePort}`;
  const pairs = [{ ip: g.port.address, mac: g.mac }, ...g.security.pairs.map((p) => ({ ip: p.ip, mac: p.mac ?? g.mac }))];
  const macs = [...new Set(pairs.map((p) => p.mac.toLowerCase()))];
  return [
    ...[...new Set(pairs.map((p) => p.ip))].map((ip) => `table=24,priority=2,arp,${at},arp_spa=${ip},actions=resubmit(,25)`),
    `table=24,priority=1,cookie=${hex(dropCookie(g.index, 'arp-spoof'))},arp,${at},actions=drop`,
    ...macs.map((mac) => `table=25,priority=3,arp,${at},dl_src=${mac},actions=resubmit(,60)`),
    ...pairs.map((p) => `table=25,priority=3,ip,${at},dl_src=${p.mac.toLowerCase()},nw_src=${p.ip},actions=resubmit(,60)`),
    // IPv6 is not modelled: dropped, but not counted as spoofing (link-local chatter).
    `table=25,priority=2,ipv6,${at},actions=drop`,
    // A DHCP client asks before it has an address.
    `table=25,priority=3,udp,${at},dl_src=${g.mac.toLowerCase()},nw_src=0.0.0.0,tp_src=68,tp_dst=67,actions=resubmit(,60)`,
    `table=25,priority=1,cookie=${hex(dropCookie(g.index, 'ip-spoof'))},${at},actions=drop`,
  ];
}

/** The port's egress rules (table 61) and ingress rules (81 unicast, 82 multicast). */
function securityGroups(g: SecuredPort, zone: number, state: SecurityState): string[] {
  const at = `in_port=${g.port.bridgePort}`;
  const reg = `reg5=${g.index}`;
  const ingress = rulesOf(state, g.security, 'ingress').flatMap(ruleMatches);
  return [
    ...rulesOf(state, g.security, 'egress')
      .flatMap(ruleMatches)
      .map((m) => `table=61,priority=50,${at},${m},actions=resubmit(,62)`),
    `table=61,priority=40,cookie=${hex(dropCookie(g.index, 'egress'))},ip,${at},actions=drop`,
    // Unicast to it passes its ingress rules, unless its admin state is down.
    state.adminDown?.includes(portId(g.port))
      ? `table=62,priority=90,reg6=${zone},ip,dl_dst=${g.mac.toLowerCase()},actions=drop`
      : `table=62,priority=90,reg6=${zone},ip,dl_dst=${g.mac.toLowerCase()},actions=load:${g.index}->NXM_NX_REG5[],resubmit(,81)`,
    ...ingress.map((m) => `table=81,priority=50,${reg},${m},actions=ct(commit,zone=${zone}),output:${g.port.bridgePort}`),
    `table=81,priority=40,cookie=${hex(dropCookie(g.index, 'ingress'))},${reg},actions=drop`,
    ...ingress.map((m) => `table=82,priority=50,${reg},${m},actions=output:${g.port.bridgePort}`),
    `table=82,priority=40,cookie=${hex(dropCookie(g.index, 'ingress'))},${reg},actions=drop`,
  ];
}

const hex = (n: number) => `0x${n.toString(16)}`;
