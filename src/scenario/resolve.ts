// Scenario file -> resolved Lab: cross-references checked, names and paths worked out.
// Pure: the state directory is passed in; nothing on the host is read or written.
import { join } from 'node:path';
import type { z } from 'zod';
import { ScenarioError, type Problem } from '../errors.js';
import type { Path, Report } from '../kinds/path.js';
import type { ServiceContext } from '../kinds/service-kind.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import { RUNTIMES, runtimeNamed, runtimeOf } from '../runtime/all.js';
import type { Lab, LabNode, LabPort, LabProbe, LabService, LabStep } from '../model.js';
import type { PortSecurity, SecurityGroup, SecurityRule } from '../security/model.js';
import { ruleOf } from '../security/schema.js';
import { contains, isNetworkAddress, overlaps, subnet } from '../net/addr.js';
import { SERVICE_KINDS, serviceKindOf } from '../services/all.js';
import { stepKindOf } from '../steps/all.js';
import { floatingIpsOf } from '../steps/pings.js';
import { explainIssue, type LoadedScenario } from './load.js';
import { Node, type ScenarioFile, type ScenarioNode, type ScenarioProbe, type ScenarioService, type ScenarioStep } from './schema.js';
import { nearest } from '../suggest.js';
import { checkPlacement, giveMacs, resolveHosts } from './hosts.js';

export interface ResolveOptions {
  /** Root of lablb's state, e.g. /run/lablb. */
  stateRoot: string;
  /** The lab's name; the scenario's when absent. */
  name?: string;
}

export function resolveLab(loaded: LoadedScenario, opts: ResolveOptions): Lab {
  const problems: Problem[] = [];
  const report = (path: Path, message: string) => {
    const { line, col } = loaded.locate(path);
    // A copy's problem is told at its template, once, naming the first copy it was found in.
    const written = loaded.written?.(path) ?? { path };
    const shown = pathText(written.path);
    if (written.copy !== undefined && problems.some((p) => p.path === shown && p.line === line)) return;
    problems.push({
      file: loaded.file,
      line,
      col,
      path: shown,
      message: written.copy !== undefined ? `${message} (in copy ${written.copy}, i=${written.copy})` : message,
    });
  };
  const lab = build(loaded.scenario, loaded.file, opts, report);
  // In the file's order, as a person reads it.
  if (problems.length > 0)
    throw new ScenarioError(
      loaded.file,
      problems.sort((a, b) => a.line - b.line || a.col - b.col),
    );
  return lab;
}

function pathText(path: Path): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

export function unknown(what: string, name: string, known: string[]): string {
  const hint = nearest(name, known);
  return `no ${what} named ${JSON.stringify(name)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : `; known: ${known.join(', ')}`}`;
}

function duplicates<T>(items: T[], key: (t: T) => string, report: (index: number, name: string) => void) {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    const k = key(item);
    if (seen.has(k)) report(i, k);
    seen.add(k);
  });
}

function build(s: ScenarioFile, file: string, opts: ResolveOptions, report: Report): Lab {
  const name = opts.name ?? s.name;
  const dir = join(opts.stateRoot, name);

  duplicates(
    s.switch.bridges,
    (b) => b,
    (i, b) => report(['switch', 'bridges', i], `bridge ${b} is listed twice`),
  );
  duplicates(
    s.networks,
    (n) => n.name,
    (i, n) => report(['networks', i, 'name'], `network ${n} is defined twice`),
  );
  duplicates(
    s.nodes,
    (n) => n.name,
    (i, n) => report(['nodes', i, 'name'], `node ${n} is defined twice`),
  );

  const networks = resolveNetworks(s, report);
  // A name defined twice keeps its first definition (the second is reported above).
  const networkByName = new Map<string, (typeof networks)[number]>();
  for (const n of networks) if (!networkByName.has(n.name)) networkByName.set(n.name, n);
  const nodeNames = s.nodes.map((n) => n.name);
  const securityGroups = resolveSecurityGroups(s, report);
  const groupNames = securityGroups.map((g) => g.name);

  const switchNamespace = `lablb-${name}`;
  if (nodeNames.includes(switchNamespace)) {
    report(['nodes', nodeNames.indexOf(switchNamespace), 'name'], `${switchNamespace} is reserved for the lab's switch`);
  }

  // Addresses are unique per network; bridge port names are unique on the switch.
  const nodeEnv: NodeEnv = {
    labName: name,
    dir,
    networkByName,
    groupNames,
    nodeNames,
    addressOwner: new Map(),
    sharedAddresses: new Set(),
    bridgePortOwner: new Map(),
  };
  const nodes: LabNode[] = s.nodes.map((n, ni) => resolveNode(n, ['nodes', ni], nodeEnv, report));

  checkAcrossLab(nodes, report);
  const hosts = resolveHosts({ s, name, dir, networks, nodes, report });

  const lab: Lab = {
    name,
    scenario: s.name,
    title: s.title,
    source: s.source,
    file,
    dir,
    // A lab of hosts has a switch per host; the first stands for the lab where one is asked for.
    switch: hosts ? hosts.list[0].switch : { namespace: switchNamespace, datapath: s.switch.datapath, bridges: s.switch.bridges, rundir: join(dir, 'ovs') },
    ...(hosts ? { hosts } : {}),
    networks,
    nodes,
    ...(securityGroups.length ? { securityGroups } : {}),
  };
  if (s.experiment) lab.experiment = resolveExperiment(s.experiment, lab, nodeEnv, report);
  return lab;
}

/** The networks, each on a known bridge, with no host bits, overlapping none on its segment. */
function resolveNetworks(s: ScenarioFile, report: Report): Lab['networks'] {
  const bridges = new Set(s.switch.bridges);
  const networks = s.networks.map((n, i) => {
    if (!bridges.has(n.bridge)) report(['networks', i, 'bridge'], unknown('bridge', n.bridge, [...bridges]));
    if (!isNetworkAddress(n.cidr)) {
      report(['networks', i, 'cidr'], `${n.cidr} has host bits set; the network is ${subnet(n.cidr).cidr}`);
    }
    return {
      name: n.name,
      bridge: n.bridge,
      cidr: subnet(n.cidr).cidr,
      prefix: subnet(n.cidr).prefix,
      vlan: n.vlan,
      ...(n.vni !== undefined ? { vni: n.vni } : {}),
      ...(n.port_security_enabled !== undefined ? { portSecurity: n.port_security_enabled } : {}),
    };
  });
  s.networks.forEach((a, i) =>
    s.networks.slice(0, i).forEach((b) => {
      // A segment is a bridge and its VLAN, or in a lab of hosts its VNI.
      if (a.bridge === b.bridge && a.vlan === b.vlan && a.vni === b.vni && overlaps(a.cidr, b.cidr)) {
        report(['networks', i, 'cidr'], `${a.cidr} overlaps ${b.name} (${b.cidr}) on the same bridge and ${a.vni === undefined ? 'VLAN' : 'VNI'}`);
      }
    }),
  );
  return networks;
}

/** Checks a kind makes across all its services (one id per VRRP group, one router per node). */
function checkAcrossLab(nodes: LabNode[], report: Report): void {
  for (const kind of SERVICE_KINDS) {
    if (!kind.checkLab) continue;
    const mine = nodes.flatMap((node, ni) =>
      node.services.flatMap((service, si) =>
        service.kind === kind.kind ? [{ service, node, at: servicePaths.get(service) ?? (['nodes', ni, 'services', si] as Path) }] : [],
      ),
    );
    if (mine.length) kind.checkLab(mine, report, nodes);
  }
}

/** The probes, then each step against the lab as it is by then: the nodes earlier steps
 *  added, without those they removed. */
function resolveExperiment(e: NonNullable<ScenarioFile['experiment']>, lab: Lab, env: NodeEnv, report: Report): NonNullable<Lab['experiment']> {
  const probes = resolveProbes(e.probe, e.probes, lab, env.nodeNames, report);
  const steps = e.steps as ScenarioStep[];
  const timeline: Lab = { ...lab, nodes: [...lab.nodes], experiment: { probes, steps: [] } };
  const topology = runtimeTopology(timeline, env, lab.switch.namespace, probes, report);
  // Each step sees the ones before it (repair, the impair steps it undoes).
  const resolved = timeline.experiment!.steps;
  for (const [i, st] of steps.entries()) resolved.push(resolveStep(st, timeline, topology, ['experiment', 'steps', i], report));
  duplicates(
    steps,
    (st) => st.name,
    (i, st) => report(['experiment', 'steps', i, 'name'], `step ${st} is defined twice`),
  );
  return { probes, steps: resolved, ...(e.warm_up_ms !== 15_000 ? { warmUpMs: e.warm_up_ms } : {}) };
}

/** What every node is resolved against: the lab's networks and groups, and what the nodes
 *  before it took (addresses, bridge ports). A node added at run time (add-node) is resolved
 *  against the same, so it is held to the same rules. */
interface NodeEnv {
  labName: string;
  dir: string;
  networkByName: Map<string, Lab['networks'][number]>;
  groupNames: string[];
  nodeNames: string[];
  addressOwner: Map<string, string>;
  /** Who has each bridge port, keyed by bridgePortKey. */
  bridgePortOwner: Map<string, string>;
  /** Addresses ports may share: vrrp:<net>/<address> (HA routers'), dvr:<net>/<address> (DVR's). */
  sharedAddresses: Set<string>;
}

/** A bridge port's name is unique on its switch: the lab's one, or its host's. */
const bridgePortKey = (host: string | undefined, port: string) => `${host ?? ''}/${port}`;

function resolveNode(n: ScenarioNode, nodeAt: Path, env: NodeEnv, report: Report): LabNode {
  const { labName: name, dir, networkByName, groupNames, nodeNames, addressOwner, sharedAddresses, bridgePortOwner } = env;
  const nodeDir = join(dir, 'nodes', n.name);
  duplicates(
    n.ports,
    (p) => p.name,
    (pi, p) => report([...nodeAt, 'ports', pi, 'name'], `port ${p} is defined twice on ${n.name}`),
  );
  const ports: LabPort[] = n.ports.map((p, pi) => {
    const at: Path = [...nodeAt, 'ports', pi];
    const net = networkByName.get(p.network);
    if (!net) {
      report([...at, 'network'], unknown('network', p.network, [...networkByName.keys()]));
    } else if (!contains(net.cidr, p.address)) {
      report([...at, 'address'], `${p.address} is outside ${net.name} (${net.cidr})`);
    } else if (p.address === subnet(net.cidr).network) {
      report([...at, 'address'], `${p.address} is the network address of ${net.cidr}, not a host's`);
    } else if (p.address === subnet(net.cidr).broadcast) {
      report([...at, 'address'], `${p.address} is the broadcast address of ${net.cidr}, not a host's`);
    }
    // HA routers share their qr/qg addresses: only one holds them at a time (keepalived). A
    // DVR router's interfaces are one port on every host it runs on.
    const key = `${p.network}/${p.address}`;
    const owner = addressOwner.get(key);
    const shared = p.vrrp_managed ? `vrrp:${key}` : p.distributed ? `dvr:${key}` : undefined;
    if (owner && !(shared && sharedAddresses.has(shared))) report([...at, 'address'], `${p.address} is already used on ${p.network} by ${owner}`);
    addressOwner.set(key, `${n.name}/${p.name}`);
    if (shared && !owner) sharedAddresses.add(shared);
    if (p.distributed && p.vrrp_managed)
      report([...at, 'distributed'], 'a port is either a DVR interface (distributed) or an HA router port (vrrp_managed), not both');
    if (p.distributed && p.type !== 'internal')
      report([...at, 'type'], "a DVR router's interface is an OVS internal port (type: internal), as the L3 agent plugs it");

    if (p.type === 'internal' && p.bridge_port && p.bridge_port !== p.name) {
      report([...at, 'bridge_port'], 'an internal port is its own bridge port; drop bridge_port');
    }
    if (p.type === 'veth' && !p.bridge_port) {
      report([...at, 'bridge_port'], 'a veth port needs bridge_port: the name of its end on the bridge (e.g. tapvm1)');
    }
    const bridgePort = p.type === 'internal' ? p.name : (p.bridge_port ?? p.name);
    // In a lab of hosts each host has its own switch (a DVR router's qr- ports on every host).
    const portKey = bridgePortKey(n.host, bridgePort);
    const portOwner = bridgePortOwner.get(portKey);
    // The same port defined twice on one node is reported once, above.
    if (portOwner && portOwner !== `${n.name}/${p.name}`)
      report([...at, p.type === 'internal' ? 'name' : 'bridge_port'], `bridge port ${bridgePort} is already used by ${portOwner}`);
    bridgePortOwner.set(portKey, `${n.name}/${p.name}`);

    const sub = net ? subnet(net.cidr) : undefined;
    return {
      node: n.name,
      name: p.name,
      network: p.network,
      bridge: net?.bridge ?? '',
      vlan: net?.vlan,
      address: p.address,
      prefix: sub?.prefix ?? 32,
      broadcast: sub?.broadcast ?? '',
      type: p.type,
      bridgePort,
      mac: p.mac,
      vrrpManaged: p.vrrp_managed,
      ...(p.distributed ? { distributed: true } : {}),
      dhcp: p.dhcp,
      ...(p.plug_only ? { plugOnly: true } : {}),
      ...(p.id ? { id: p.id } : {}),
      ...resolvePortSecurity(p, net?.portSecurity, at, groupNames, report),
    };
  });

  n.routes.forEach((r, ri) => {
    const on = ports.filter((p) => p.broadcast && contains(`${p.address}/${p.prefix}`, r.via));
    if (on.length === 0) report([...nodeAt, 'routes', ri, 'via'], `gateway ${r.via} is not on any network of ${n.name}`);
    else if (on.every((p) => p.vrrpManaged || p.dhcp || p.plugOnly))
      report([...nodeAt, 'routes', ri, 'via'], `${r.via} is reached only through ports keepalived manages; add the route as the MASTER's (virtual_routes)`);
  });
  // A kind's block the article writes on the node itself (a router's l3:) is that kind's
  // service, named after the field; its problems are told at the field.
  const written = SERVICE_KINDS.flatMap((k) => {
    const field = k.nodeField?.name;
    const value = field === undefined ? undefined : (n as Record<string, unknown>)[field];
    return field === undefined || value === undefined
      ? []
      : [{ block: { ...(value as object), name: field, kind: k.kind } as ScenarioService, at: [...nodeAt, field] }];
  });
  const blocks = [...(n.services as ScenarioService[]).map((block, si) => ({ block, at: [...nodeAt, 'services', si] as Path })), ...written];
  duplicates(
    blocks,
    (b) => b.block.name,
    (i, sv) => report([...blocks[i].at, 'name'], `service ${sv} is defined twice on ${n.name}`),
  );

  const services = blocks.map(({ block, at }) => {
    const service = resolveService(block, { name: n.name, ports, dir: nodeDir }, { labName: name, nodeNames, groupNames }, at, report);
    servicePaths.set(service, at);
    return service;
  });
  // A service may bind a port's address or one its node's services may come to hold (a VIP).
  const claimed = services.flatMap((sv) => serviceKindOf(sv.kind).claims?.(sv.spec) ?? []);
  const owned = [...ports.map((p) => p.address), ...claimed];
  ports.forEach((p, pi) => {
    if (p.vrrpManaged && !claimed.includes(p.address))
      report([...nodeAt, 'ports', pi, 'vrrp_managed'], `no keepalived instance on ${n.name} moves ${p.address}; list it in virtual_ipaddress_excluded`);
  });
  services.forEach((sv, si) => {
    for (const { address, path } of serviceKindOf(sv.kind).binds?.(sv.spec) ?? []) {
      if (!owned.includes(address)) report([...blocks[si].at, ...path], `${address} is not an address of ${n.name} (${owned.join(', ')})`);
    }
  });

  // Sysctls the node's services need (keepalived's ip_nonlocal_bind), unless the file sets them.
  const sysctls = Object.entries(n.sysctls).map(([k, v]) => [k, String(v)] as [string, string]);
  for (const [k, v] of services.flatMap((sv) => serviceKindOf(sv.kind).sysctls?.(sv.spec) ?? [])) {
    if (!sysctls.some(([have]) => have === k)) sysctls.push([k, v]);
  }
  return {
    name: n.name,
    role: n.role,
    runtime: n.runtime,
    ...(n.host ? { host: n.host } : {}),
    ...resolveRuntime(n, nodeAt, name, report),
    ports,
    routes: n.routes.map((r) => ({ to: r.to, via: r.via })),
    sysctls,
    services,
    dir: nodeDir,
  };
}

/** Where each service's block is in the file, for checks across the lab. */
const servicePaths = new WeakMap<LabService, Path>();

/** What the node's runtime makes of its fields; another runtime's fields on it are a mistake. */
function resolveRuntime(n: ScenarioNode, at: Path, labName: string, report: Report): { runtimeSpec?: unknown } {
  const runtime = runtimeNamed(n.runtime);
  const block = n as Record<string, unknown>;
  for (const other of RUNTIMES.filter((r) => r !== runtime)) {
    for (const field of Object.keys(other.fields)) {
      if (block[field] !== undefined) report([...at, field], `${field} is for runtime: ${other.name} (${other.description})`);
    }
  }
  const spec = runtime.resolve(block, { lab: labName, name: n.name }, (path, message) => report([...at, ...path], message));
  return spec === undefined ? {} : { runtimeSpec: spec };
}

function resolveSecurityGroups(s: ScenarioFile, report: Report): SecurityGroup[] {
  duplicates(
    s.security_groups,
    (g) => g.name,
    (i, g) => report(['security_groups', i, 'name'], `security group ${g} is defined twice`),
  );
  return s.security_groups.map((g, gi) => ({
    name: g.name,
    rules: g.rules.map((r, ri): SecurityRule => ({
      id: `${g.name}-${ri + 1}`,
      ...ruleOf(r, (path, message) => report(['security_groups', gi, 'rules', ri, ...path], message)),
    })),
  }));
}

type ScenarioPort = ScenarioFile['nodes'][number]['ports'][number];

/** A port's Neutron port security at start, refused where Neutron refuses it. Its network's
 *  port_security_enabled is the default, as Neutron gives a new port. */
function resolvePortSecurity(p: ScenarioPort, onNetwork: boolean | undefined, at: Path, groups: string[], report: Report): { security?: PortSecurity } {
  const inherited = p.port_security_enabled === undefined && onNetwork === false;
  if (p.security_groups === undefined && p.allowed_address_pairs === undefined && p.port_security_enabled === undefined && !inherited) return {};
  const enabled = p.port_security_enabled ?? onNetwork ?? true;
  if (inherited && p.security_groups?.length)
    report(
      [...at, 'security_groups'],
      `${p.network} has port_security_enabled: false, so its ports have none unless they say port_security_enabled: true (Neutron refuses security groups otherwise)`,
    );
  (p.security_groups ?? []).forEach((g, gi) => {
    if (!groups.includes(g)) report([...at, 'security_groups', gi], unknown('security group', g, groups));
  });
  if (!enabled && !inherited && p.security_groups?.length)
    report([...at, 'port_security_enabled'], 'a port with security groups cannot have port security off (Neutron refuses it too); drop security_groups');
  if (!enabled && p.allowed_address_pairs?.length) report([...at, 'port_security_enabled'], 'allowed address pairs need port security on');
  if (enabled && !p.mac) report([...at, 'mac'], 'a port with port security needs a fixed mac: (its anti-spoofing flows name it), such as fa:16:3e:00:00:01');
  return {
    security: {
      enabled,
      groups: p.security_groups ?? [],
      pairs: (p.allowed_address_pairs ?? []).map((a) => ({ ip: a.ip_address, ...(a.mac_address ? { mac: a.mac_address } : {}) })),
    },
  };
}

/** A sessions probe writes to every session each interval: at most this many writes a second. */
const SESSION_WRITES_PER_SECOND = 1000;

function resolveProbes(one: ScenarioProbe | undefined, many: ScenarioProbe[] | undefined, lab: Lab, nodeNames: string[], report: Report): LabProbe[] {
  if (one && many) report(['experiment', 'probes'], 'give probe: or probes:, not both');
  const list = many ?? (one ? [one] : []);
  const at = (i: number): Path => (many ? ['experiment', 'probes', i] : ['experiment', 'probe']);
  const probes = list.map((p, i): LabProbe => {
    if (!nodeNames.includes(p.from)) report([...at(i), 'from'], unknown('node', p.from, nodeNames));
    if ([p.url, p.tcp, p.sessions].filter((x) => x !== undefined).length !== 1)
      report(at(i), 'say what to probe, one of: url: http://..., tcp: address:port, or sessions: { port: N }');
    const target = p.sessions
      ? { sessions: sessionTargets(p.sessions.port, p.interval_ms, lab, [...at(i), 'sessions'], report) }
      : p.url
        ? { url: p.url }
        : { tcp: p.tcp, mode: p.mode };
    return {
      name: p.name ?? (i === 0 ? 'http' : `probe-${i + 1}`),
      from: p.from,
      ...target,
      intervalMs: p.interval_ms,
      timeoutMs: p.timeout_ms,
      ...(p.warm_up ? {} : { warmUp: false }),
    };
  });
  duplicates(
    probes,
    (p) => p.name,
    (i, n) => report([...at(i), 'name'], `probe ${n} is defined twice`),
  );
  return probes;
}

/** A sessions probe's targets: the lab's floating IPs, few enough for its interval. */
function sessionTargets(port: number, intervalMs: number, lab: Lab, at: Path, report: Report): { port: number; targets: string[] } {
  const targets = floatingIpsOf(lab);
  if (targets.length === 0) report(at, 'the lab has no floating IP to hold a session to');
  const perSecond = (targets.length * 1000) / intervalMs;
  if (perSecond > SESSION_WRITES_PER_SECOND)
    report(
      [...at.slice(0, -1), 'interval_ms'],
      `${targets.length} sessions written to every ${intervalMs} ms is ${Math.round(perSecond)} writes a second, over ${SESSION_WRITES_PER_SECOND}: make interval_ms at least ${Math.ceil((targets.length * 1000) / SESSION_WRITES_PER_SECOND)}`,
    );
  return { port, targets };
}

function resolveService(
  sv: ScenarioService,
  node: ServiceContext['node'],
  names: { labName: string; nodeNames: string[]; groupNames: string[] },
  at: Path,
  report: Report,
): LabService {
  const kind = serviceKindOf(sv.kind);
  const { labName } = names;
  const ctx: ServiceContext = {
    lab: labName,
    node,
    nodeNames: names.nodeNames,
    groupNames: names.groupNames,
    report: (path, message) => report([...at, ...path], message),
    unknown,
    port(portName, path) {
      const found = node.ports.find((p) => p.name === portName);
      if (!found)
        report(
          [...at, ...path],
          unknown(
            'port',
            portName,
            node.ports.map((p) => p.name),
          ),
        );
      return found;
    },
  };
  return {
    kind: sv.kind,
    node: node.name,
    name: sv.name,
    token: `${labName}/${node.name}/${sv.name}`,
    pidfile: join(node.dir, `${sv.name}.pid`),
    logfile: join(node.dir, `${sv.name}.log`),
    spec: kind.resolve(sv, ctx),
  };
}

/** Nodes that steps add and remove, checked as the file's own nodes are. */
interface Topology {
  add(block: unknown, at: Path): LabNode | undefined;
  remove(name: string, at: Path): LabNode | undefined;
  replaceService(service: LabService, spec: unknown): LabService;
}

/** A block checked against a schema after the file's own check (a node or a member a step
 *  adds), each problem told as the file's are, at its place in the file. */
function checkBlock<T>(schema: z.ZodType<T>, block: unknown, at: Path, report: Report): T | undefined {
  const parsed = schema.safeParse(block);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const { where, message } = explainIssue(issue, block, schema);
    report([...at, ...where], message);
  }
  return undefined;
}

/** A node block given while the lab runs (a controller's amphora, through the lab's API),
 *  checked against the lab as it is now, by the same rules as add-node's against the file. */
export function resolveRunTimeNode(lab: Lab, block: unknown): { node?: LabNode; problems: string[] } {
  const problems: string[] = [];
  const report: Report = (path, message) => problems.push(`${pathText(['node', ...path])}: ${message}`);
  const env: NodeEnv = {
    labName: lab.name,
    dir: lab.dir,
    networkByName: new Map(lab.networks.map((n) => [n.name, n])),
    groupNames: (lab.securityGroups ?? []).map((g) => g.name),
    nodeNames: lab.nodes.map((n) => n.name),
    addressOwner: new Map(lab.nodes.flatMap((n) => n.ports.map((p) => [`${p.network}/${p.address}`, `${n.name}/${p.name}`] as [string, string]))),
    sharedAddresses: new Set(
      lab.nodes.flatMap((n) =>
        n.ports.flatMap((p) => (p.vrrpManaged ? [`vrrp:${p.network}/${p.address}`] : p.distributed ? [`dvr:${p.network}/${p.address}`] : [])),
      ),
    ),
    bridgePortOwner: new Map(lab.nodes.flatMap((n) => n.ports.map((p) => [bridgePortKey(n.host, p.bridgePort), `${n.name}/${p.name}`] as [string, string]))),
  };
  // A copy: the caller adds the node to the running lab once it is built.
  const timeline = { ...lab, nodes: [...lab.nodes] };
  const node = runtimeTopology(timeline, env, lab.switch.namespace, lab.experiment?.probes ?? [], report).add(block, []);
  return problems.length ? { problems } : { node, problems };
}

function runtimeTopology(timeline: Lab, env: NodeEnv, switchNamespace: string, probes: LabProbe[], report: Report): Topology {
  const names = () => timeline.nodes.map((n) => n.name);
  return {
    add(block, at) {
      const n = checkBlock(Node, block, at, report);
      if (!n) return undefined;
      if (names().includes(n.name)) report([...at, 'name'], `node ${n.name} already exists at this step`);
      if (n.name === switchNamespace) report([...at, 'name'], `${switchNamespace} is reserved for the lab's switch`);
      if (timeline.hosts) checkPlacement(n, at, timeline.hosts.list, [...env.networkByName.values()], report);
      // Not yet: a container joining at run time.
      if (!runtimeNamed(n.runtime).joinsAtRunTime)
        report([...at, 'runtime'], `a node added at run time is a namespace for now (runtime: netns), not runtime: ${n.runtime}`);
      env.nodeNames.push(n.name);
      const node = resolveNode(n, at, env, report);
      // l2pop tells the other hosts its MACs: it gets them as the file's nodes did.
      if (timeline.hosts) giveMacs(timeline.name, [...timeline.nodes, node]);
      timeline.nodes.push(node);
      return node;
    },
    remove(name, at) {
      const node = timeline.nodes.find((n) => n.name === name);
      if (!node) {
        report(at, unknown('node', name, names()));
        return undefined;
      }
      if (!runtimeOf(node).joinsAtRunTime) report(at, `${name} is runtime: ${node.runtime}; a node removed at run time is a namespace for now`);
      for (const p of probes.filter((x) => x.from === name)) report(at, `probe ${p.name} runs in ${name} for the whole run`);
      timeline.nodes.splice(timeline.nodes.indexOf(node), 1);
      // A node added later cannot name it (a member on it), and its addresses and bridge ports
      // are free again: a replacement may take them.
      env.nodeNames.splice(env.nodeNames.indexOf(name), 1);
      for (const owners of [env.addressOwner, env.bridgePortOwner]) {
        for (const [key, owner] of owners) if (owner.startsWith(`${name}/`)) owners.delete(key);
      }
      return node;
    },
    replaceService(service, spec) {
      // A copy: the build starts the service as the file wrote it.
      const next = { ...service, spec };
      const i = timeline.nodes.findIndex((n) => n.name === service.node);
      const node = timeline.nodes[i];
      timeline.nodes[i] = { ...node, services: node.services.map((s) => (s.name === service.name ? next : s)) };
      return next;
    },
  };
}

function resolveStep(st: ScenarioStep, lab: Lab, topology: Topology, at: Path, report: Report): LabStep {
  return { kind: st.kind, name: st.name, spec: stepKindOf(st.kind).resolve(st, stepContext(lab, topology, at, report)) };
}

/** What a step kind's resolver may ask, with its problems reported under `at`. */
function stepContext(lab: Lab, topology: Topology, at: Path, report: Report): StepResolveContext {
  const nodeNames = lab.nodes.map((n) => n.name);
  const scoped: Report = (path, message) => report([...at, ...path], message);
  const node = (name: string, path: Path) => {
    const found = lab.nodes.find((n) => n.name === name);
    if (!found) scoped(path, unknown('node', name, nodeNames));
    return found;
  };
  const probeNames = lab.experiment?.probes.map((p) => p.name) ?? [];
  return {
    lab,
    report: scoped,
    unknown,
    node,
    service(ref, path) {
      const [nodeName, name] = ref.split('/');
      const host = node(nodeName, path);
      const svc = host?.services.find((s) => s.name === name);
      if (host && !svc)
        scoped(
          path,
          unknown(
            `service on ${nodeName}`,
            name,
            host.services.map((s) => s.name),
          ),
        );
      return svc;
    },
    membersOf: (svc) => serviceKindOf(svc.kind).members?.(svc.spec),
    port(ref, path) {
      const [nodeName, name] = ref.split('/');
      const host = node(nodeName, path);
      const port = host?.ports.find((p) => p.name === name);
      if (host && !port)
        scoped(
          path,
          unknown(
            `port on ${nodeName}`,
            name,
            host.ports.map((p) => p.name),
          ),
        );
      return port;
    },
    probe(name, path) {
      if (probeNames.length === 0) {
        scoped(path, 'this experiment has no probes; add probe: or probes: to experiment');
        return undefined;
      }
      if (name === undefined) return probeNames[0];
      if (!probeNames.includes(name)) scoped(path, unknown('probe', name, probeNames));
      return name;
    },
    within: (path) => stepContext(lab, topology, [...at, ...path], report),
    addNode: (block, path) => topology.add(block, [...at, ...path]),
    removeNode: (name, path) => topology.remove(name, [...at, ...path]),
    replaceService: (service, spec) => topology.replaceService(service, spec),
    check: (schema, block, path) => checkBlock(schema, block, [...at, ...path], report),
  };
}
