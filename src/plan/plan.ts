// Lab -> Plan: the host operations that build the lab, in order. Pure: no host access, so it is
// snapshot-tested without root and `up --explain` just prints it.
import { join } from 'node:path';
import { agentArgv, TOKEN_VAR } from '../agents/paths.js';
import type { Datapath, Lab, LabNode, LabPort, LabService } from '../model.js';
import { renderHaproxyConf } from '../render/haproxy-conf.js';
import { renderKeepalivedConf } from '../render/keepalived-conf.js';
import { renderRouterRules } from '../render/iptables-rules.js';
import type { JournalEntry, Op, Plan, Task } from './ops.js';

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
  const namespaces = [sw, ...lab.nodes.map((n) => n.name)];
  const tasks: Task[] = [
    // The lab's state dir: OVS database and sockets, configs, pid files, logs.
    { id: 'state-dir', title: `State directory ${lab.dir}`, after: [], ops: [{ kind: 'mkdir', paths: [lab.switch.rundir, ...lab.nodes.map((n) => n.dir)] }] },
    {
      id: 'namespaces',
      title: 'Namespaces: one per node, and one for the lab\'s own Open vSwitch',
      after: [],
      ops: [{
        kind: 'run',
        argv: ['ip', '-batch', '-'],
        input: namespaces.map((ns) => `netns add ${ns}`).join('\n'),
        creates: namespaces.map((name): JournalEntry => ({ kind: 'netns', name })),
      }],
    },
    { id: 'ovsdb', title: 'The lab\'s own OVS database (ovsdb-server)', after: ['state-dir'], ops: startDatabase(lab) },
    { id: 'switch', title: `ovs-vswitchd (${host.datapath} datapath) in namespace ${sw}`, after: ['namespaces', 'ovsdb'], ops: startSwitch(lab, host) },
    { id: 'veths', title: 'veth pairs: one end in a node, the other in the switch\'s namespace', after: ['namespaces'], ops: makeVeths(lab, ports, host) },
    ...(host.datapath === 'netdev'
      ? [{ id: 'offload', title: 'TX checksum offload off on the switch\'s veth ends', after: ['veths'], ops: txChecksumOff(sw, ports.filter((p) => p.type === 'veth').map((p) => p.bridgePort)) }]
      : []),
    { id: 'bridges', title: 'Bridges and ports: one ovs-vsctl transaction', after: ['switch', 'veths'], ops: wireBridges(lab, ports, host) },
    ...ports.filter((p) => p.type === 'internal').map((p) => moveInternalPort(lab, p)),
  ];
  for (const node of lab.nodes) {
    const internals = node.ports.filter((p) => p.type === 'internal').map((p) => `move:${p.name}`);
    const hasVeth = node.ports.some((p) => p.type === 'veth');
    tasks.push({
      id: `node:${node.name}`,
      title: `${node.name}: addresses, routes${node.l3 ? ', the l3-agent\'s iptables' : ''}`,
      after: [...(hasVeth ? ['veths'] : []), ...internals],
      ops: configureNode(node),
    });
    const settings: Op[] = [
      ...(node.sysctls.length > 0 ? [{ kind: 'run', argv: inNs(node.name, ['sysctl', '-q', '-w', ...node.sysctls.map(([k, v]) => `${k}=${v}`)]) } as Op] : []),
      ...(host.datapath === 'netdev' ? txChecksumOff(node.name, node.ports.map((p) => p.name)) : []),
    ];
    if (settings.length > 0) {
      // Nothing waits for these but the end of `up`: they matter once traffic flows.
      tasks.push({ id: `settings:${node.name}`, title: `${node.name}: ${[node.sysctls.length ? 'sysctls' : '', host.datapath === 'netdev' ? 'TX checksum offload off' : ''].filter(Boolean).join(', ')}`, after: [`node:${node.name}`], ops: settings });
    }
  }
  const services = lab.nodes.flatMap((n) => n.services);
  const serviceId = (s: LabService) => `service:${s.node}/${s.name}`;
  for (const s of services) {
    // haproxy marks a member DOWN on its first failed check, so it starts after its members'
    // servers: a backend still starting would begin the lab half down.
    const memberServers = s.kind === 'haproxy'
      ? services.filter((m) => m.kind !== 'haproxy' && s.pool.members.some((mem) => mem.node === m.node)).map(serviceId)
      : [];
    // On a keepalived node, services may bind a VIP not yet held: they need ip_nonlocal_bind first.
    const node = lab.nodes.find((n) => n.name === s.node)!;
    const settings = node.services.some((x) => x.kind === 'keepalived') && tasks.some((t) => t.id === `settings:${s.node}`) ? [`settings:${s.node}`] : [];
    tasks.push({ id: serviceId(s), title: `${s.node}: ${describeService(s)}`, after: [`node:${s.node}`, ...settings, ...memberServers], ops: serviceStartOps(s) });
  }
  return { lab: lab.name, env: ovsEnv(lab), tasks };
}

function describeService(s: LabService): string {
  switch (s.kind) {
    case 'http-text':
      return `web server on ${s.address}:${s.port} answering ${s.text}`;
    case 'http-whoami':
      return `web server on ${s.address}:${s.port} answering with the caller's address`;
    case 'haproxy':
      return `haproxy on ${s.listener.address}:${s.listener.port} over ${s.pool.members.map((m) => m.node).join(', ')}`;
    case 'keepalived':
      return `keepalived: ${s.instances.map((i) => `${i.name} (id ${i.vrid}, priority ${i.priority}, VIP ${i.vips.map((v) => v.address).join(' ')})`).join(', ')}`;
  }
}

/** The database server needs no namespace (it only serves a UNIX socket), so it starts while
 *  the namespaces are made. Neither OVS daemon is told to --detach, which waits for its whole
 *  start-up: the database is ready once its socket exists, and the first ovs-vsctl transaction
 *  waits for ovs-vswitchd anyway. */
function startDatabase(lab: Lab): Op[] {
  const { rundir } = lab.switch;
  const token = `${lab.name}/${lab.switch.namespace}/ovsdb-server`;
  const pidfile = join(rundir, 'ovsdb-server.pid');
  return [
    { kind: 'run', argv: ['ovsdb-tool', 'create', join(rundir, 'conf.db'), OVS_SCHEMA] },
    {
      kind: 'daemon',
      argv: ['ovsdb-server', join(rundir, 'conf.db'), `--remote=punix:${join(rundir, 'db.sock')}`, `--pidfile=${pidfile}`, `--log-file=${join(rundir, 'ovsdb-server.log')}`],
      env: { [TOKEN_VAR]: token },
      ready: join(rundir, 'db.sock'),
      logfile: join(rundir, 'ovsdb-server.out'),
      creates: [{ kind: 'process', name: 'ovsdb-server', token, pidfile }],
    },
  ];
}

/** ovs-vswitchd runs in the lab's switch namespace, so its bridge devices live there. */
function startSwitch(lab: Lab, host: HostFacts): Op[] {
  const { rundir, namespace: sw } = lab.switch;
  const token = `${lab.name}/${sw}/ovs-vswitchd`;
  const pidfile = join(rundir, 'ovs-vswitchd.pid');
  return [
    ...(host.datapath === 'system' ? [{ kind: 'run', argv: ['modprobe', 'openvswitch'] } as Op] : []),
    {
      kind: 'daemon',
      argv: inNs(sw, ['ovs-vswitchd', `unix:${join(rundir, 'db.sock')}`, `--pidfile=${pidfile}`, `--log-file=${join(rundir, 'ovs-vswitchd.log')}`]),
      env: { [TOKEN_VAR]: token },
      ready: pidfile,
      logfile: join(rundir, 'ovs-vswitchd.out'),
      creates: [{ kind: 'process', name: 'ovs-vswitchd', token, pidfile }],
    },
  ];
}

function makeVeths(lab: Lab, ports: LabPort[], host: HostFacts): Op[] {
  const sw = lab.switch.namespace;
  const veths = ports.filter((p) => p.type === 'veth');
  return [
    {
      kind: 'run',
      argv: ['ip', '-n', sw, '-batch', '-'],
      input: [
        'link set lo up',
        ...veths.flatMap((p) => [`link add ${p.bridgePort} type veth peer name ${p.name} netns ${p.node}`, `link set ${p.bridgePort} up`]),
      ].join('\n'),
    },
  ];
}

function wireBridges(lab: Lab, ports: LabPort[], host: HostFacts): Op[] {
  // init creates the database's root record; ovs-vswitchd, already running, waits for it.
  const vsctl = ['ovs-vsctl', ovsDb(lab), '--', 'init'];
  for (const br of lab.switch.bridges) {
    vsctl.push('--', '--may-exist', 'add-br', br, '--', 'set', 'bridge', br, `datapath_type=${host.datapath}`);
  }
  for (const p of ports) {
    vsctl.push('--', '--may-exist', 'add-port', p.bridge, p.bridgePort, ...(p.vlan ? [`tag=${p.vlan}`] : []));
    if (p.type === 'internal') vsctl.push('--', 'set', 'interface', p.bridgePort, 'type=internal');
  }
  // Without --no-wait, ovs-vsctl returns once ovs-vswitchd has made the internal devices.
  return [{ kind: 'run', argv: vsctl }];
}

/** Moving a device between namespaces waits for the kernel to quiesce it; separate moves
 *  wait side by side. */
function moveInternalPort(lab: Lab, p: LabPort): Task {
  return {
    id: `move:${p.name}`,
    title: `Move OVS internal port ${p.name} into ${p.node}`,
    after: ['bridges'],
    ops: [{ kind: 'run', argv: ['ip', '-n', lab.switch.namespace, 'link', 'set', p.name, 'netns', p.node] }],
  };
}

/** The userspace datapath does not fill in checksums the kernel left to the NIC: ping works,
 *  TCP fails. Turning TX offload off on every end that touches the bridge avoids it. */
function txChecksumOff(ns: string, devices: string[]): Op[] {
  return devices.map((dev) => ({ kind: 'run', argv: inNs(ns, ['ethtool', '-K', dev, 'tx', 'off']) }));
}

function configureNode(node: LabNode): Op[] {
  const lines = ['link set lo up'];
  for (const p of node.ports) {
    if (p.mac) lines.push(`link set dev ${p.name} address ${p.mac}`);
    lines.push(`addr add ${p.address}/${p.prefix} brd ${p.broadcast} dev ${p.name}`, `link set ${p.name} up`);
  }
  // The l3-agent puts each floating IP on the gateway port as a /32, so the router answers ARP for it.
  for (const f of node.l3?.floatingIps ?? []) lines.push(`addr add ${f.floating}/32 dev ${node.l3!.gatewayPort}`);
  for (const r of node.routes) lines.push(`route replace ${r.to} via ${r.via}`);
  const ops: Op[] = [{ kind: 'run', argv: ['ip', '-n', node.name, '-batch', '-'], input: lines.join('\n') }];
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
        ready: s.pidfile,
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
    case 'keepalived':
      return [
        { kind: 'write', path: s.config, content: renderKeepalivedConf(s) },
        {
          kind: 'daemon',
          // --vrrp: the VRRP part only; its log (state changes) is what the screen reads.
          argv: inNs(s.node, ['keepalived', '--dont-fork', '--log-console', '--vrrp', '--use-file', s.config, '--pid', s.pidfile, '--vrrp_pid', s.vrrpPidfile]),
          env,
          ready: s.pidfile,
          logfile: s.logfile,
          creates,
        },
      ];
  }
}
