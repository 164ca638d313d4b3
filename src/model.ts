// The resolved lab: plain data with every name, address and path worked out.
// Everything downstream (planner, engine, observers, reporters) reads this, never the YAML.

export type Datapath = 'system' | 'netdev';
export type DatapathChoice = Datapath | 'auto';

/** The command that loads the kernel datapath: lablb never runs it itself, since a module
 *  loaded for one lab would change the whole host and outlive it. */
export const LOAD_OPENVSWITCH = 'sudo modprobe openvswitch';

export interface Lab {
  /** The lab's name: the scenario's unless --name says otherwise. */
  name: string;
  scenario: string;
  title?: string;
  source?: string;
  /** The scenario file it came from, for `status`. */
  file: string;
  dir: string;
  /** The switch; in a lab of several hosts, the first host's (see `hosts`). */
  switch: LabSwitch;
  /** Several Neutron hosts, each with its own Open vSwitch, joined by VXLAN over an underlay. */
  hosts?: LabHosts;
  networks: LabNetwork[];
  nodes: LabNode[];
  /** Neutron security groups its ports may be in; their state changes on a running lab. */
  securityGroups?: SecurityGroup[];
  experiment?: LabExperiment;
}

export interface LabSwitch {
  /** The lab's own namespace, where its private ovsdb-server and ovs-vswitchd run, so their
   *  bridge devices and leftovers never appear in the host's root namespace. */
  namespace: string;
  datapath: DatapathChoice;
  bridges: string[];
  /** OVS_RUNDIR/OVS_DBDIR/OVS_LOGDIR of the private instance. */
  rundir: string;
}

export type HostRole = 'network' | 'compute' | 'controller';

/** A Neutron host: its own Open vSwitch (br-int, br-tun, br-phy, and br-ex where it reaches
 *  the external network) in its own namespace, and the nodes placed on it. */
export interface LabHost {
  name: string;
  role: HostRole;
  /** Whether it has br-ex, on the physical network the external networks run on. */
  external: boolean;
  switch: LabSwitch;
  /** Its tunnel endpoint (the OVS agent's local_ip) on the underlay. */
  localIp: string;
  /** br-phy's MAC, which holds localIp: fixed, so every peer's OVS is told it up front. */
  underlayMac: string;
  /** The OVS agent's local VLAN on br-int of each tunnelled network with a port here, numbered
   *  per host as the agent allocates them. */
  localVlans: Record<string, number>;
  /** Its DVR MAC (Neutron's dvr_host_macs, from dvr_base_mac): a DVR router's frames leave
   *  the host under it; set when the lab has DVR routers. */
  dvrMac?: string;
}

export interface LabHosts {
  /** The namespace of the wires between hosts: the underlay and the physical network. */
  fabric: string;
  underlay: { cidr: string; prefix: number };
  list: LabHost[];
  /** An HA router's new MASTER tells l2pop, which moves its ports' entries to that host. */
  haNotice: boolean;
}

export interface LabNetwork {
  name: string;
  bridge: string;
  /** A tunnelled network's segmentation id (VXLAN VNI), in a lab of several hosts. */
  vni?: number;
  cidr: string;
  prefix: number;
  vlan?: number;
  /** Neutron's network port_security_enabled, when the file says: its ports' default. */
  portSecurity?: boolean;
}

export interface LabPort {
  node: string;
  /** Name inside the node's namespace. */
  name: string;
  network: string;
  bridge: string;
  vlan?: number;
  address: string;
  prefix: number;
  broadcast: string;
  type: 'internal' | 'veth';
  /** The name of the OVS port: the veth's bridge end, or the internal port itself. */
  bridgePort: string;
  mac?: string;
  /** Neutron's id of the port (the article's commands name it so). */
  id?: string;
  /** keepalived moves its address (an HA router's qr/qg port): it is not configured up front. */
  vrrpManaged: boolean;
  /** A DVR router's interface, on every host the router runs on with one address and MAC. */
  distributed?: boolean;
  /** Its address comes from DHCP: it is not configured up front either. */
  dhcp: boolean;
  /** An agent in the node configures it (an amphora's VRRP port): lablb only plugs it in. */
  plugOnly?: boolean;
  /** Neutron port security at start; absent: off (plain switching). */
  security?: PortSecurity;
}

export interface LabRoute {
  to: string;
  via: string;
}

export type NodeRole = 'vm' | 'router' | 'loadbalancer' | 'external' | 'controller' | 'amphora' | 'share-server';

export interface LabNode {
  name: string;
  role: NodeRole;
  /** Where the member lives: the name of its runtime (src/runtime/), a namespace of its own
   *  (netns) or a container's (docker). */
  runtime: string;
  /** The host it is placed on, in a lab of several hosts. */
  host?: string;
  /** What its runtime made of the node's runtime fields (a container's image and name); only
   *  the runtime reads it. */
  runtimeSpec?: unknown;
  ports: LabPort[];
  routes: LabRoute[];
  sysctls: [string, string][];
  services: LabService[];
  /** Where the node's configs, sockets, pid files and logs live. */
  dir: string;
}

/** A service of a node, resolved by its kind (src/services/<kind>/). Generic code reads the
 *  common fields; only the kind reads its `spec`. */
export interface LabService<Spec = unknown> {
  kind: string;
  node: string;
  name: string;
  /** Marks every process of this service (env LABLB_TOKEN), so cleanup finds them by PID
   *  even after a crash, and never confuses them with anyone else's. */
  token: string;
  pidfile: string;
  logfile: string;
  spec: Spec;
}

export interface Expectation {
  alternate?: string[];
  only?: string[];
  maxFailed: number;
  /** At least this many must fail: a stream that is expected to have died. */
  minFailed?: number;
}

/** A step of the experiment, resolved by its kind (src/steps/). */
export interface LabStep<Spec = unknown> {
  kind: string;
  name: string;
  spec: Spec;
}

export interface LabProbe {
  name: string;
  from: string;
  /** HTTP: one request per interval, each on a new connection. */
  url?: string;
  /** Or one long-lived TCP stream to a tcp-stream service (address:port)... */
  tcp?: string;
  /** ...in which the server pushes, or the prober speaks and the server echoes. */
  mode?: 'push' | 'echo';
  /** Or one echo session to each of the lab's floating IPs (a tcp-echo service behind each). */
  sessions?: { port: number; targets: string[] };
  intervalMs: number;
  timeoutMs: number;
  /** false: the experiment does not wait for its first replies (a target unreachable at first). */
  warmUp?: false;
}

/** What a probe aims at, for people: the URL, or "tcp 10.255.253.1:9000 push". */
export function probeTarget(p: Pick<LabProbe, 'url' | 'tcp' | 'mode' | 'sessions'>): string {
  if (p.sessions) return `tcp sessions to ${p.sessions.targets.length} floating IPs, port ${p.sessions.port}`;
  return p.url ?? `tcp ${p.tcp} ${p.mode}`;
}

export interface LabExperiment {
  /** Traffic sent for the whole run; none, one or several. */
  probes: LabProbe[];
  steps: LabStep[];
  /** How long the lab may take to serve before the first step. */
  warmUpMs?: number;
}

/** The host a node is placed on; none in a lab of one switch. */
export function hostOf(lab: Lab, nodeName: string): LabHost | undefined {
  if (!lab.hosts) return undefined;
  const host = lab.nodes.find((n) => n.name === nodeName)?.host;
  return lab.hosts.list.find((h) => h.name === host);
}

/** The switch a node's ports are plugged into: its host's, or the lab's one switch. */
export function switchOf(lab: Lab, nodeName: string): LabSwitch {
  return hostOf(lab, nodeName)?.switch ?? lab.switch;
}

/** Every switch of the lab: one, or one per host. */
export function switchesOf(lab: Lab): LabSwitch[] {
  return lab.hosts ? lab.hosts.list.map((h) => h.switch) : [lab.switch];
}

/** The namespaces lablb makes for the lab's switches (and the fabric between hosts). */
export function switchNamespaces(lab: Lab): string[] {
  return lab.hosts ? [lab.hosts.fabric, ...lab.hosts.list.map((h) => h.switch.namespace)] : [lab.switch.namespace];
}

/** A port by its id, node/port. */
export function findPort(lab: Lab, id: string): LabPort | undefined {
  return lab.nodes.flatMap((n) => n.ports).find((p) => `${p.node}/${p.name}` === id);
}

export function findService(lab: Lab, node: string, name: string): LabService | undefined {
  return lab.nodes.find((n) => n.name === node)?.services.find((s) => s.name === name);
}

export function allServices(lab: Lab): LabService[] {
  return lab.nodes.flatMap((n) => n.services);
}

// Neutron's port security (src/security/ renders it as flows and changes it on a live lab).

export type Direction = 'ingress' | 'egress';

export interface SecurityRule {
  /** How a person names it to delete it: <group>-<n>. */
  id: string;
  direction: Direction;
  /** An IP protocol number; none: any. */
  protocol?: number;
  /** TCP/UDP destination ports (ICMP: portMin is the type). */
  portMin?: number;
  portMax?: number;
  /** The far end's prefix (source for ingress, destination for egress); none: anywhere. */
  remote?: string;
}

export interface SecurityGroup {
  name: string;
  rules: SecurityRule[];
}

export interface AddressPair {
  /** An address or a CIDR. */
  ip: string;
  /** The port's own MAC when absent. */
  mac?: string;
}

export interface PortSecurity {
  enabled: boolean;
  groups: string[];
  pairs: AddressPair[];
}
