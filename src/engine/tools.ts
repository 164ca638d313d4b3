// The host commands lablb drives: which Debian package has each, how to ask its version, and
// when a lab needs it. One table for preflight, `doctor` and the set-up script's list.
import type { Datapath, Lab } from '../model.js';

export interface Tool {
  command: string;
  pkg: string;
  versionArgs: string[];
  /** Whether a lab needs it; undefined: only future scenarios or a learner's own use. */
  neededBy?: (lab: Lab, datapath: Datapath) => boolean;
  why: string;
}

const always = () => true;
const hasService = (kind: string) => (lab: Lab) => lab.nodes.some((n) => n.services.some((s) => s.kind === kind));
const hasRouter = (lab: Lab) => lab.nodes.some((n) => n.l3);

export const TOOLS: Tool[] = [
  { command: 'ip', pkg: 'iproute2', versionArgs: ['-V'], neededBy: always, why: 'namespaces, veths, addresses, routes' },
  { command: 'sysctl', pkg: 'procps', versionArgs: ['--version'], neededBy: (lab) => lab.nodes.some((n) => n.sysctls.length > 0), why: 'per-namespace sysctls (ip_forward)' },
  { command: 'ovsdb-tool', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: 'the lab\'s own OVS database' },
  { command: 'ovsdb-server', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: 'the lab\'s own OVS database' },
  { command: 'ovs-vswitchd', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: 'the lab\'s own switch' },
  { command: 'ovs-vsctl', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: 'bridges and ports' },
  { command: 'haproxy', pkg: 'haproxy', versionArgs: ['-v'], neededBy: hasService('haproxy'), why: 'load balancers' },
  { command: 'iptables-restore', pkg: 'iptables', versionArgs: ['--version'], neededBy: hasRouter, why: 'the l3-agent\'s NAT chains' },
  { command: 'iptables-save', pkg: 'iptables', versionArgs: ['--version'], neededBy: hasRouter, why: 'NAT rule counters' },
  { command: 'ethtool', pkg: 'ethtool', versionArgs: ['--version'], neededBy: (_lab, dp) => dp === 'netdev', why: 'TX checksum offload off (userspace datapath)' },
  { command: 'modprobe', pkg: 'kmod', versionArgs: ['--version'], neededBy: (_lab, dp) => dp === 'system', why: 'loading the openvswitch module' },
  { command: 'curl', pkg: 'curl', versionArgs: ['--version'], neededBy: (lab) => lab.experiment?.steps.some((s) => s.kind === 'http-get') ?? false, why: 'HTTP checks from a node' },
  { command: 'keepalived', pkg: 'keepalived', versionArgs: ['--version'], neededBy: hasService('keepalived'), why: 'VRRP: VIPs that move between nodes' },
  { command: 'conntrack', pkg: 'conntrack', versionArgs: ['--version'], why: 'inspecting NAT sessions' },
  { command: 'arping', pkg: 'arping', versionArgs: ['-V'], why: 'gratuitous ARP by hand' },
  { command: 'tcpdump', pkg: 'tcpdump', versionArgs: ['--version'], why: 'watching packets in a namespace' },
  { command: 'tmux', pkg: 'tmux', versionArgs: ['-V'], why: 'the terminal UI\'s integration test' },
];

export function toolsFor(lab: Lab, datapath: Datapath): Tool[] {
  return TOOLS.filter((t) => t.neededBy?.(lab, datapath));
}
