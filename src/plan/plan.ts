// Lab -> Plan: the host operations that build the lab, in order. Pure: no host access, so it is
// snapshot-tested without root and `up --explain` just prints it. Members are reached through
// the runtime, ports wired by their link type, services started by their kind.
import { join } from 'node:path';
import { linkType, ovsDb, switchDb } from '../links/links.js';
import { hostsTasks } from './hosts.js';
import { l2popNotice } from '../links/tunnels.js';
import { addPortsTransactions, MANY_PORTS } from '../links/ovsdb-ports.js';
import { switchesOf, switchNamespaces, type Datapath, type Lab, type LabNode, type LabPort, type LabService, type LabSwitch } from '../model.js';
import { byRuntime } from '../runtime/all.js';
import { netns } from '../runtime/netns/netns.js';
import { securityOps } from '../security/apply.js';
import { initialSecurity, usesPortSecurity } from '../security/model.js';
import { serviceKindOf } from '../services/all.js';
import { TOKEN_VAR } from '../token.js';
import type { Op, Plan, Task } from '../kinds/ops.js';

export const OVS_SCHEMA = '/usr/share/openvswitch/vswitch.ovsschema';

export interface HostFacts {
  /** The datapath the switch will use (auto already decided). */
  datapath: Datapath;
}

export function ovsEnv(lab: Lab): Record<string, string> {
  return switchEnv(lab.switch);
}

/** Where one switch's daemons keep their sockets (a bridge's .mgmt, the daemons' .ctl). */
export function switchEnv(sw: LabSwitch): Record<string, string> {
  const dir = sw.rundir;
  return { OVS_RUNDIR: dir, OVS_DBDIR: dir, OVS_LOGDIR: dir };
}

/** A command on a switch (no member: lablb's own namespace), with its OVS sockets in the
 *  environment, so ovs-vsctl, ovs-ofctl and ovs-appctl reach the lab's Open vSwitch. */
export function onSwitch(sw: LabSwitch, argv: string[]): { argv: string[]; env: Record<string, string> } {
  return { argv: netns.exec(sw.namespace, argv), env: switchEnv(sw) };
}

export { ovsDb };

export function buildPlan(lab: Lab, host: HostFacts): Plan {
  const ports = lab.nodes.flatMap((n) => n.ports);
  // Each runtime brings its members to life; their namespaces exist once its tasks end.
  const members = byRuntime(lab.nodes).flatMap(({ runtime, nodes }) => runtime.create(lab, nodes));
  const memberIds = members.map((t) => t.id).filter((id) => !members.some((t) => t.after.includes(id)));
  const switches = switchesOf(lab);
  // A lab of hosts has a switch per host: its tasks' ids end in :<host>.
  const at = (node: string) => (lab.hosts ? `:${lab.nodes.find((n) => n.name === node)?.host}` : '');
  const switchAfter = lab.hosts ? [] : settledFirst(lab, ports, host);
  const tasks: Task[] = [
    // The lab's state dir: OVS database and sockets, configs, pid files, logs.
    {
      id: 'state-dir',
      title: `State directory ${lab.dir}`,
      after: [],
      ops: [{ kind: 'mkdir', paths: [...switches.map((sw) => sw.rundir), ...lab.nodes.map((n) => n.dir)] }],
    },
    {
      id: 'namespaces',
      title: lab.hosts ? "The namespaces of the hosts' own Open vSwitches and of the wires between them" : "The namespace of the lab's own Open vSwitch",
      after: [],
      ops: [netns.create(switchNamespaces(lab))],
    },
    // Nothing waits for it but a large lab's switch (see settledFirst).
    {
      id: 'switch-ipv6',
      title: "IPv6 off in the switch's namespace: it carries frames only",
      after: ['namespaces'],
      ops: switchNamespaces(lab).map(switchIpv6Off),
    },
    ...members,
    ...(lab.hosts ? hostsTasks(lab, host, memberIds) : switchTasks(lab, lab.switch, ports, host, { suffix: '', after: memberIds, switchAfter })),
    // Moving a device between namespaces waits for the kernel to quiesce it; separate moves
    // wait side by side.
    ...ports.flatMap((p) => {
      const ops = linkType(p).attach(lab, p);
      return ops.length
        ? [{ id: `move:${p.name}${at(p.node)}`, title: `Move OVS internal port ${p.name} into ${p.node}`, after: [`bridges${at(p.node)}`], ops }]
        : [];
    }),
  ];
  for (const node of lab.nodes) {
    const attached = node.ports.filter((p) => linkType(p).attach(lab, p).length > 0).map((p) => `move:${p.name}${at(node.name)}`);
    const made = node.ports.some((p) => linkType(p).make(p).length > 0);
    // A node whose ports ovs-vswitchd makes sets its sysctls while it waits for them (all but
    // those of a port's own device, which does not exist there yet).
    const [first, late] = attached.length > 0 ? splitSysctls(node) : [[], node.sysctls];
    if (first.length)
      tasks.push({ id: `sysctls:${node.name}`, title: `${node.name}: sysctls`, after: memberIds, ops: nodeSysctls({ ...node, sysctls: first }) });
    tasks.push({
      id: `node:${node.name}`,
      title: `${node.name}: ${late.length ? 'sysctls, ' : ''}addresses, routes`,
      after: [...(made ? [`veths${at(node.name)}`] : []), ...attached, ...(first.length ? [`sysctls:${node.name}`] : [])],
      ops: [...nodeSysctls({ ...node, sysctls: late }), ...configureNode(node)],
    });
    if (host.datapath === 'netdev' && node.ports.length > 0) {
      // Nothing waits for this but the end of `up`.
      tasks.push({ id: `offload:${node.name}`, title: `${node.name}: TX checksum offload off`, after: [`node:${node.name}`], ops: nodeOffload(node) });
    }
  }
  // Port security (Neutron's anti-spoofing and security groups) before any service speaks.
  const secured = usesPortSecurity(lab);
  if (secured) {
    tasks.push({
      id: 'port-security',
      title: 'Port security: anti-spoofing and security groups as OpenFlow rules',
      after: ['bridges'],
      ops: securityOps(lab, initialSecurity(lab), {}),
    });
  }
  const lateSwitch = switchAfter.length > 0;
  const services = lab.nodes.flatMap((n) => n.services);
  const serviceId = (s: LabService) => `service:${s.node}/${s.name}`;
  for (const s of services) {
    const kind = serviceKindOf(s.kind);
    const node = lab.nodes.find((n) => n.name === s.node)!;
    // Services a kind must start after (a load balancer after its members' servers).
    const firstNodes = kind.startsAfterNodes?.(s.spec) ?? [];
    const first = services.filter((m) => m !== s && firstNodes.includes(m.node) && !serviceKindOf(m.kind).startsAfterNodes).map(serviceId);
    tasks.push({
      id: serviceId(s),
      title: `${s.node}: ${kind.describe(s)}`,
      after: [
        `node:${s.node}`,
        // A node with no service to wait for (a DVR router's fip namespace): its set-up.
        ...firstNodes.filter((n) => n !== s.node && lab.nodes.some((x) => x.name === n && x.services.length === 0)).map((n) => `node:${n}`),
        ...(secured ? ['port-security'] : []),
        ...(lateSwitch && kind.talksAtStart ? ['bridges'] : []),
        ...first,
        ...(lab.hosts ? [`tunnels:${node.host}`] : []),
      ],
      ops: serviceStartOps(lab, node, s),
    });
  }
  return { lab: lab.name, env: ovsEnv(lab), tasks };
}

interface SwitchTaskOptions {
  /** Ends every task id: '' for the lab's one switch, :<host> for a host's. */
  suffix: string;
  /** What the veths wait for besides the namespaces (the members' own tasks). */
  after: string[];
  /** More ovs-vsctl arguments for the bridges' transaction (a host's fabric and patch ports). */
  moreBridgeArgs?: string[];
  /** More devices of the switch's namespace whose TX offload goes off. */
  moreOffload?: string[];
  /** What makes those devices (the fabric between hosts). */
  madeBy?: string[];
  /** What ovs-vswitchd starts after (see settledFirst). */
  switchAfter?: string[];
}

/** ovs-vswitchd re-reads every device of its namespace at each link event there (a port's peer
 *  coming up, its offload turned off): quadratic in the ports, most of a 300-router build. With
 *  many ports it starts once the nodes wired by veths are up and offloaded, and opens their
 *  ports as they will stay; a small lab starts it at once, its start-up beside theirs. */
function settledFirst(lab: Lab, ports: LabPort[], host: HostFacts): string[] {
  if (ports.length <= MANY_PORTS) return [];
  const wiredByVeth = lab.nodes.filter((n) => n.ports.length > 0 && n.ports.every((p) => linkType(p).attach(lab, p).length === 0));
  const offloaded = host.datapath === 'netdev';
  return ['switch-ipv6', ...(offloaded ? ['offload'] : []), ...wiredByVeth.flatMap((n) => [`node:${n.name}`, ...(offloaded ? [`offload:${n.name}`] : [])])];
}

/** One switch started and its nodes' ports plugged in: the database, ovs-vswitchd in its
 *  namespace, the veths' bridge ends, the bridges and ports, and the wait for them. */
export function switchTasks(lab: Lab, sw: LabSwitch, ports: LabPort[], host: HostFacts, opts: SwitchTaskOptions): Task[] {
  const id = (name: string) => `${name}${opts.suffix}`;
  const where = opts.suffix ? ` (host ${opts.suffix.slice(1)})` : '';
  const offload = [...ports.flatMap((p) => linkType(p).bridgeDevice(p) ?? []), ...(opts.moreOffload ?? [])];
  return [
    { id: id('ovsdb'), title: `The lab's own OVS database (ovsdb-server)${where}`, after: ['state-dir'], ops: startDatabase(lab, sw) },
    {
      id: id('switch'),
      title: `ovs-vswitchd (${host.datapath} datapath) in namespace ${sw.namespace}`,
      after: ['namespaces', id('ovsdb'), ...(opts.switchAfter ?? [])],
      ops: startSwitch(lab, sw),
    },
    {
      id: id('veths'),
      title: `veth pairs: one end in a node, the other in the switch's namespace${where}`,
      after: ['namespaces', ...opts.after],
      ops: [netns.ipBatch(sw.namespace, ['link set lo up', ...ports.flatMap((p) => linkType(p).make(p))])],
    },
    ...(host.datapath === 'netdev' && offload.length
      ? [
          {
            id: id('offload'),
            title: `TX checksum offload off on the switch's veth ends${where}`,
            after: [id('veths'), ...(opts.madeBy ?? [])],
            ops: txChecksumOff(sw.namespace, offload),
          },
        ]
      : []),
    // The bridges go into the database while ovs-vswitchd starts, which then builds them in its
    // first configuration; what needs a port's device waits until each has its OpenFlow number.
    {
      id: id('bridges-db'),
      title: `Bridges and ports: one ovs-vsctl transaction${where}`,
      after: [id('ovsdb'), ...(opts.madeBy ?? [])],
      ops: wireBridges(sw, ports, host, opts.moreBridgeArgs ?? []),
    },
    { id: id('bridges'), title: `Bridges and ports made by ovs-vswitchd${where}`, after: [id('switch'), id('bridges-db')], ops: portsMade(sw, ports) },
  ];
}

/** How a service starts, with what the other services on its node declared; also used by
 *  steps that start one again. */
export function serviceStartOps(lab: Lab, node: LabNode, s: LabService): Op[] {
  const hooks = node.services
    .filter((x) => x !== s)
    .map((x) => serviceKindOf(x.kind).vrrpHooks?.(x))
    .filter((h) => h !== undefined);
  // In a lab of hosts, a new MASTER also tells l2pop where its ports are now.
  const vrrpHooks = { master: [...hooks.flatMap((h) => h.master), ...l2popNotice(lab, node.name)], backup: hooks.flatMap((h) => h.backup) };
  return serviceKindOf(s.kind).start(s, { vrrpHooks, lab });
}

/** The database server needs no namespace (it only serves a UNIX socket), so it starts while
 *  the namespaces are made. Neither OVS daemon is told to --detach, which waits for its whole
 *  start-up: the database is ready once its socket exists, and the first ovs-vsctl transaction
 *  waits for ovs-vswitchd anyway. */
function startDatabase(lab: Lab, sw: LabSwitch): Op[] {
  const { rundir } = sw;
  const token = `${lab.name}/${sw.namespace}/ovsdb-server`;
  const pidfile = join(rundir, 'ovsdb-server.pid');
  return [
    { kind: 'ovsdb-create', path: join(rundir, 'conf.db'), schema: OVS_SCHEMA },
    {
      kind: 'daemon',
      argv: [
        'ovsdb-server',
        join(rundir, 'conf.db'),
        `--remote=punix:${join(rundir, 'db.sock')}`,
        `--pidfile=${pidfile}`,
        `--log-file=${join(rundir, 'ovsdb-server.log')}`,
      ],
      env: { [TOKEN_VAR]: token, ...ownRundir(lab, sw) },
      ready: join(rundir, 'db.sock'),
      logfile: join(rundir, 'ovsdb-server.out'),
      creates: [{ kind: 'process', name: 'ovsdb-server', token, pidfile }],
    },
  ];
}

/** In a lab of hosts each switch's daemons get their own run dir (the plan's environment names
 *  the first host's): two ovs-vswitchd in one dir would take each other's bridge sockets. */
function ownRundir(lab: Lab, sw: LabSwitch): Record<string, string> {
  return lab.hosts ? switchEnv(sw) : {};
}

/** ovs-vswitchd runs in the lab's switch namespace, so its bridge devices live there. */
function startSwitch(lab: Lab, own: LabSwitch): Op[] {
  const { rundir, namespace: sw } = own;
  const token = `${lab.name}/${sw}/ovs-vswitchd`;
  const pidfile = join(rundir, 'ovs-vswitchd.pid');
  return [
    {
      kind: 'daemon',
      argv: netns.exec(sw, ['ovs-vswitchd', `unix:${join(rundir, 'db.sock')}`, `--pidfile=${pidfile}`, `--log-file=${join(rundir, 'ovs-vswitchd.log')}`]),
      env: { [TOKEN_VAR]: token, ...ownRundir(lab, own) },
      ready: pidfile,
      logfile: join(rundir, 'ovs-vswitchd.out'),
      creates: [{ kind: 'process', name: 'ovs-vswitchd', token, pidfile }],
    },
  ];
}

function wireBridges(sw: LabSwitch, ports: LabPort[], host: HostFacts, more: string[]): Op[] {
  // init creates the database's root record. --no-wait: ovs-vswitchd may not run yet.
  const vsctl = ['ovs-vsctl', switchDb(sw), '--no-wait', '--', 'init'];
  for (const br of sw.bridges) {
    vsctl.push('--', '--may-exist', 'add-br', br, '--', 'set', 'bridge', br, `datapath_type=${host.datapath}`);
  }
  vsctl.push(...more);
  if (ports.length > MANY_PORTS) return [{ kind: 'run', argv: vsctl }, ...addPortsTransactions(join(sw.rundir, 'db.sock'), ports)];
  for (const p of ports) vsctl.push('--', '--may-exist', 'add-port', ...linkType(p).bridge(p));
  return [{ kind: 'run', argv: vsctl }];
}

/** Until ovs-vswitchd has made every port (an internal port's device exists once it has an
 *  OpenFlow port number), bounded: a port it cannot make fails the build after 10 s (more for
 *  thousands of ports). */
function portsMade(sw: LabSwitch, ports: LabPort[]): Op[] {
  if (ports.length === 0) return [];
  const waits = ports.flatMap((p) => ['--', 'wait-until', 'Interface', linkType(p).bridge(p)[1], 'ofport>0']);
  // A bound, not a pace: on the userspace datapath ovs-vswitchd made 3000 ports in 11 to 39 s
  // here, slower the busier the machine.
  const seconds = 10 + 3 * Math.floor(ports.length / 100);
  // lablb's own bound on the command is past ovs-vsctl's, so the failure is ovs-vsctl's words.
  return [{ kind: 'run', argv: ['ovs-vsctl', switchDb(sw), `--timeout=${seconds}`, ...waits], timeoutMs: (seconds + 10) * 1000 }];
}

/** The switch's namespace carries frames only. With IPv6 on, each port's end got a link-local
 *  address as its node came up, and ovs-vswitchd re-read every device's addresses on each:
 *  quadratic in the ports, most of its CPU at 300 routers. */
function switchIpv6Off(ns: string): Op {
  return { kind: 'run', argv: netns.execNet(ns, ['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']) };
}

/** The userspace datapath does not fill in checksums the kernel left to the NIC: ping works,
 *  TCP fails. Turning TX offload off on every end that touches the bridge avoids it. */
export function txChecksumOff(ns: string, devices: string[]): Op[] {
  return devices.length ? [netns.txChecksumOff(ns, devices)] : [];
}

/** A node's sysctls, set before its links come up (IPv6 off before a link's first packet). */
export function nodeSysctls(node: LabNode): Op[] {
  return node.sysctls.length > 0 ? [{ kind: 'run', argv: netns.execNet(node.name, ['sysctl', '-q', '-w', ...node.sysctls.map(([k, v]) => `${k}=${v}`)]) }] : [];
}

/** A node's sysctls: those of its namespace as a whole, and those of one of its ports
 *  (net.ipv4.conf.qg01.*, or net/ipv4/conf/qr-a.1/* for a name with a dot), which need the
 *  port there. */
function splitSysctls(node: LabNode): [LabNode['sysctls'], LabNode['sysctls']] {
  // sysctl reads a name with a slash as a path: its dots are then part of the names.
  const ofPort = ([key]: [string, string]) => key.split(key.includes('/') ? '/' : '.').some((part) => node.ports.some((p) => p.name === part));
  return [node.sysctls.filter((kv) => !ofPort(kv)), node.sysctls.filter(ofPort)];
}

/** On the userspace datapath, TX checksum offload off on the node's ports. */
export function nodeOffload(node: LabNode): Op[] {
  return txChecksumOff(
    node.name,
    node.ports.map((p) => p.name),
  );
}

/** Its addresses, MACs and routes. */
export function configureNode(node: LabNode): Op[] {
  const lines = ['link set lo up'];
  for (const p of node.ports) {
    if (p.mac) lines.push(`link set dev ${p.name} address ${p.mac}`);
    // keepalived adds an HA router's qr/qg addresses on the MASTER only; DHCP gives its own.
    // An amphora's VRRP port is the agent's to move and address (plug vip).
    if (p.plugOnly) continue;
    if (!p.vrrpManaged && !p.dhcp) lines.push(`addr add ${p.address}/${p.prefix} brd ${p.broadcast} dev ${p.name}`);
    lines.push(`link set ${p.name} up`);
  }
  for (const r of node.routes) lines.push(`route replace ${r.to} via ${r.via}`);
  return [netns.ipBatch(node.name, lines)];
}
