// Lab -> Plan: the host operations that build the lab, in order. Pure: no host access, so it is
// snapshot-tested without root and `up --explain` just prints it.
import { join } from 'node:path';
import { agentArgv, TOKEN_VAR } from '../agents/paths.js';
import type { Datapath, Lab, LabNode, LabPort, LabService } from '../model.js';
import { renderHaproxyConf } from '../render/haproxy-conf.js';
import { renderRouterRules } from '../render/iptables-rules.js';
import type { JournalEntry, Op, Phase, Plan } from './ops.js';

export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface HostFacts {
  /** The datapath the switch will use (auto already decided). */
  datapath: Datapath;
}

export function ovsEnv(lab: Lab): Record<string, string> {
  const dir = lab.switch.rundir;
  return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
}

export function ovsDb(lab: Lab): string {
  return `--db=unix:${join(lab.switch.rundir, 'db.sock')}`;
}

const inNs = (ns: string, argv: string[]) => ['ip', 'netns', 'exec', ns, ...argv];

export function buildPlan(lab: Lab, host: HostFacts): Plan {
  const sw = lab.switch.namespace;
  const ports = lab.nodes.flatMap((n) => n.ports);
  const services = lab.nodes.flatMap((n) => n.services);
  const phases: Phase[] = [
    {
      title: 'Namespaces: one per node, and one for the lab\'s own Open vSwitch',
      lanes: [[
        // The lab's state dir: OVS database and sockets, configs, pid files, logs.
        { kind: 'run', argv: ['mkdir', '-p', lab.switch.rundir, ...lab.nodes.map((n) => n.dir)] },
        {
          kind: 'run',
          argv: ['ip', '-batch', '-'],
          input: [sw, ...lab.nodes.map((n) => n.name)].map((ns) => `netns add ${ns}`).join('\n'),
          creates: [sw, ...lab.nodes.map((n) => n.name)].map((name): JournalEntry => ({ kind: 'netns', name })),
        },
      ]],
    },
    { title: `A private Open vSwitch (${host.datapath} datapath) in namespace ${sw}`, lanes: [startSwitch(lab, host)] },
    { title: 'Bridges and ports: one ovs-vsctl transaction', lanes: [wirePorts(lab, ports, host)] },
    { title: 'Addresses, routes, sysctls and iptables in each namespace', lanes: lab.nodes.map((n) => configureNode(n, host)) },
    // Load balancers start after the servers they check: haproxy marks a member DOWN on its
    // first failed check, so a backend still starting would begin the lab half down.
    { title: 'Servers', lanes: services.filter((s) => s.kind !== 'haproxy').map(serviceStartOps) },
    { title: 'Load balancers (haproxy)', lanes: services.filter((s) => s.kind === 'haproxy').map(serviceStartOps) },
  ];
  return { lab: lab.name, env: ovsEnv(lab), phases: phases.filter((p) => p.lanes.some((l) => l.length > 0)) };
}

function startSwitch(lab: Lab, host: HostFacts): Op[] {
  const { rundir, namespace: sw } = lab.switch;
  const token = (name: string) => `${lab.name}/${sw}/${name}`;
  const daemon = (name: string, argv: string[]): Op => ({
    kind: 'run',
    argv: inNs(sw, argv),
    env: { [TOKEN_VAR]: token(name) },
    creates: [{ kind: 'process', name, token: token(name), pidfile: join(rundir, `${name}.pid`) }],
  });
  return [
    ...(host.datapath === 'system' ? [{ kind: 'run', argv: ['modprobe', 'openvswitch'] } as Op] : []),
    { kind: 'run', argv: ['ovsdb-tool', 'create', join(rundir, 'conf.db'), OVS_SCHEMA] },
    daemon('ovsdb-server', [
      'ovsdb-server', join(rundir, 'conf.db'),
      `--remote=punix:${join(rundir, 'db.sock')}`,
      `--pidfile=${join(rundir, 'ovsdb-server.pid')}`,
      '--detach', `--log-file=${join(rundir, 'ovsdb-server.log')}`,
    ]),
    { kind: 'run', argv: ['ovs-vsctl', ovsDb(lab), '--no-wait', 'init'] },
    daemon('ovs-vswitchd', [
      'ovs-vswitchd', `unix:${join(rundir, 'db.sock')}`,
      `--pidfile=${join(rundir, 'ovs-vswitchd.pid')}`,
      '--detach', `--log-file=${join(rundir, 'ovs-vswitchd.log')}`,
    ]),
  ];
}

function wirePorts(lab: Lab, ports: LabPort[], host: HostFacts): Op[] {
  const sw = lab.switch.namespace;
  const veths = ports.filter((p) => p.type === 'veth');
  const internals = ports.filter((p) => p.type === 'internal');
  const vsctl = ['ovs-vsctl', ovsDb(lab)];
  for (const br of lab.switch.bridges) {
    vsctl.push('--', '--may-exist', 'add-br', br, '--', 'set', 'bridge', br, `datapath_type=${host.datapath}`);
  }
  for (const p of ports) {
    vsctl.push('--', '--may-exist', 'add-port', p.bridge, p.bridgePort, ...(p.vlan ? [`tag=${p.vlan}`] : []));
    if (p.type === 'internal') vsctl.push('--', 'set', 'interface', p.bridgePort, 'type=internal');
  }
  const ops: Op[] = [
    {
      kind: 'run',
      argv: ['ip', '-n', sw, '-batch', '-'],
      input: [
        'link set lo up',
        ...veths.flatMap((p) => [`link add ${p.bridgePort} type veth peer name ${p.name} netns ${p.node}`, `link set ${p.bridgePort} up`]),
      ].join('\n'),
    },
    // Without --no-wait, ovs-vsctl returns once ovs-vswitchd has made the internal devices.
    { kind: 'run', argv: vsctl },
  ];
  if (internals.length > 0) {
    ops.push({
      kind: 'run',
      argv: ['ip', '-n', sw, '-batch', '-'],
      input: internals.map((p) => `link set ${p.name} netns ${p.node}`).join('\n'),
    });
  }
  if (host.datapath === 'netdev') ops.push(...txChecksumOff(sw, veths.map((p) => p.bridgePort)));
  return ops;
}

/** The userspace datapath does not fill in checksums the kernel left to the NIC: ping works,
 *  TCP fails. Turning TX offload off on every end that touches the bridge avoids it. */
function txChecksumOff(ns: string, devices: string[]): Op[] {
  return devices.map((dev) => ({ kind: 'run', argv: inNs(ns, ['ethtool', '-K', dev, 'tx', 'off']) }));
}

function configureNode(node: LabNode, host: HostFacts): Op[] {
  const lines = ['link set lo up'];
  for (const p of node.ports) {
    if (p.mac) lines.push(`link set dev ${p.name} address ${p.mac}`);
    lines.push(`addr add ${p.address}/${p.prefix} brd ${p.broadcast} dev ${p.name}`, `link set ${p.name} up`);
  }
  // The l3-agent puts each floating IP on the gateway port as a /32, so the router answers ARP for it.
  for (const f of node.l3?.floatingIps ?? []) lines.push(`addr add ${f.floating}/32 dev ${node.l3!.gatewayPort}`);
  for (const r of node.routes) lines.push(`route replace ${r.to} via ${r.via}`);
  const ops: Op[] = [{ kind: 'run', argv: ['ip', '-n', node.name, '-batch', '-'], input: lines.join('\n') }];
  if (node.sysctls.length > 0) {
    ops.push({ kind: 'run', argv: inNs(node.name, ['sysctl', '-q', '-w', ...node.sysctls.map(([k, v]) => `${k}=${v}`)]) });
  }
  if (host.datapath === 'netdev') ops.push(...txChecksumOff(node.name, node.ports.map((p) => p.name)));
  if (node.l3) {
    ops.push({ kind: 'run', argv: inNs(node.name, ['iptables-restore', '--noflush']), input: renderRouterRules(node.l3) });
  }
  return ops;
}

/** How a service starts; also used by experiments that restart one. */
export function serviceStartOps(s: LabService): Op[] {
  const creates: JournalEntry[] = [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }];
  const env = { [TOKEN_VAR]: s.token };
  switch (s.kind) {
    case 'http-text':
    case 'http-whoami': {
      const reply = s.kind === 'http-text' ? ['--text', s.text] : ['--whoami'];
      return [{
        kind: 'daemon',
        argv: inNs(s.node, agentArgv('http-responder', ['--listen', `${s.address}:${s.port}`, ...reply, '--pidfile', s.pidfile])),
        env,
        pidfile: s.pidfile,
        logfile: s.logfile,
        creates,
      }];
    }
    case 'haproxy':
      return [
        { kind: 'write', path: s.config, content: renderHaproxyConf(s) },
        { kind: 'run', argv: inNs(s.node, ['haproxy', '-f', s.config, '-p', s.pidfile]), env, creates },
        { kind: 'wait-path', path: s.statsSocket, timeoutMs: 5000, what: 'haproxy stats socket' },
      ];
  }
}
