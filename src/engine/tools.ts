// The host commands lablb drives: which Debian package has each, how to ask its version, and
// when a lab needs it. The core's own here; each service and step kind brings its own. One
// table for preflight, `doctor` and the set-up script's list.
import type { Tool } from '../kinds/tool.js';
import type { Datapath, Lab } from '../model.js';
import { MANY_PORTS } from '../links/ovsdb-ports.js';
import { RUNTIMES } from '../runtime/all.js';
import { SERVICE_KINDS } from '../services/all.js';
import { STEP_KINDS } from '../steps/all.js';

export type { Tool };

const always = () => true;

const CORE: Tool[] = [
  { command: 'ip', pkg: 'iproute2', versionArgs: ['-V'], neededBy: always, why: 'namespaces, veths, addresses, routes' },
  { command: 'nsenter', pkg: 'util-linux', versionArgs: ['--version'], neededBy: always, why: "sysctls and ethtool in a node's network namespace" },
  {
    command: 'sysctl',
    pkg: 'procps',
    versionArgs: ['--version'],
    neededBy: (lab) => lab.nodes.some((n) => n.sysctls.length > 0),
    why: 'per-namespace sysctls (ip_forward)',
  },
  { command: 'rmmod', pkg: 'kmod', versionArgs: ['-V'], neededBy: always, why: 'kernel modules the lab caused to load, unloaded once unused' },
  { command: 'ovsdb-server', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: "the lab's own OVS database" },
  { command: 'ovs-vswitchd', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: "the lab's own switch" },
  { command: 'ovs-vsctl', pkg: 'openvswitch-switch', versionArgs: ['--version'], neededBy: always, why: 'bridges and ports' },
  {
    command: 'ovsdb-client',
    pkg: 'openvswitch-switch',
    versionArgs: ['--version'],
    neededBy: (lab) => lab.nodes.reduce((n, node) => n + node.ports.length, 0) > MANY_PORTS,
    why: 'a lab of more than 100 ports wired in a few transactions',
  },
  {
    command: 'ovs-ofctl',
    pkg: 'openvswitch-common',
    versionArgs: ['--version'],
    neededBy: always,
    why: "port security flows, and the article's ovs-ofctl dump-flows",
  },
  {
    command: 'ovs-appctl',
    pkg: 'openvswitch-common',
    versionArgs: ['--version'],
    neededBy: (lab) => lab.hosts !== undefined,
    why: "each host's OVS told its tunnel peers' underlay MACs (a lab of hosts)",
  },
  {
    command: 'ethtool',
    pkg: 'ethtool',
    versionArgs: ['--version'],
    neededBy: (_lab, dp) => dp === 'netdev',
    why: 'TX checksum offload off (userspace datapath)',
  },
  {
    command: 'xargs',
    pkg: 'findutils',
    versionArgs: ['--version'],
    neededBy: (_lab, dp) => dp === 'netdev',
    why: "ethtool for each of a namespace's devices, from one nsenter",
  },
];

/** For a learner's own use: not needed by any lab. */
const LEARNER: Tool[] = [
  { command: 'conntrack', pkg: 'conntrack', versionArgs: ['--version'], why: 'inspecting NAT sessions' },
  { command: 'route', pkg: 'net-tools', versionArgs: ['--version'], why: "the article's route -n" },
  { command: 'arp', pkg: 'net-tools', versionArgs: ['--version'], why: "the article's arp -n" },
  { command: 'wget', pkg: 'wget', versionArgs: ['--version'], why: "the article's wget http://10.0.0.100" },
  { command: 'tcpdump', pkg: 'tcpdump', versionArgs: ['--version'], why: 'watching packets in a namespace (lablb capture)' },
  { command: 'dot', pkg: 'graphviz', versionArgs: ['-V'], why: 'lablb graph --format svg' },
  { command: 'xtables-monitor', pkg: 'iptables', versionArgs: ['--version'], why: 'lablb trace: the iptables rules a packet went through' },
  { command: 'tmux', pkg: 'tmux', versionArgs: ['-V'], why: "the terminal UI's integration test" },
  { command: 'dockerd', pkg: 'docker.io', versionArgs: ['--version'], why: 'a Docker engine for runtime: docker members (or DOCKER_HOST elsewhere)' },
];

const usesService = (kind: string) => (lab: Lab) => lab.nodes.some((n) => n.services.some((s) => s.kind === kind));
const usesRuntime = (name: string) => (lab: Lab) => lab.nodes.some((n) => n.runtime === name);
const usesStep = (kind: string) => (lab: Lab) => lab.experiment?.steps.some((s) => s.kind === kind) ?? false;

/** Every tool, once: the core's, the kinds' (needed when a lab uses the kind), the learner's. */
export const TOOLS: Tool[] = (() => {
  const out = new Map<string, Tool>();
  const add = (t: Tool) => {
    const had = out.get(t.command);
    // A command two kinds need is needed when either is used.
    out.set(
      t.command,
      had?.neededBy && t.neededBy
        ? { ...had, neededBy: (lab, dp) => had.neededBy!(lab, dp) || t.neededBy!(lab, dp) }
        : { ...t, ...had, neededBy: had?.neededBy ?? t.neededBy },
    );
  };
  CORE.forEach(add);
  for (const k of SERVICE_KINDS) for (const t of k.tools) add({ ...t, neededBy: usesService(k.kind) });
  for (const k of STEP_KINDS) for (const t of k.tools ?? []) add({ ...t, neededBy: usesStep(k.kind) });
  // A runtime's tools, when the lab has such a node (and the tool says it is needed, if it says).
  for (const r of RUNTIMES) for (const t of r.tools) add({ ...t, neededBy: (lab, dp) => usesRuntime(r.name)(lab) && (t.neededBy?.(lab, dp) ?? true) });
  LEARNER.forEach(add);
  return [...out.values()];
})();

export function toolsFor(lab: Lab, datapath: Datapath): Tool[] {
  return TOOLS.filter((t) => t.neededBy?.(lab, datapath));
}
