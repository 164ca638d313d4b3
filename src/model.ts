// The resolved lab: plain data with every name, address and path worked out.
// Everything downstream (planner, engine, observers, reporters) reads this, never the YAML.

export type Datapath = 'system' | 'netdev';
export type DatapathChoice = Datapath | 'auto';

export interface Lab {
  /** The lab's name: the scenario's unless --name says otherwise. */
  name: string;
  scenario: string;
  title?: string;
  source?: string;
  /** The scenario file it came from, for `status`. */
  file: string;
  dir: string;
  switch: LabSwitch;
  networks: LabNetwork[];
  nodes: LabNode[];
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

export interface LabNetwork {
  name: string;
  bridge: string;
  cidr: string;
  prefix: number;
  vlan?: number;
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
}

export interface LabRoute {
  to: string;
  via: string;
}

export type NodeRole = 'vm' | 'router' | 'loadbalancer' | 'external';

export interface LabNode {
  name: string;
  role: NodeRole;
  ports: LabPort[];
  routes: LabRoute[];
  sysctls: [string, string][];
  services: LabService[];
  l3?: LabL3;
  /** Where the node's configs, sockets, pid files and logs live. */
  dir: string;
}

export interface LabL3 {
  gatewayPort: string;
  gatewayAddress: string;
  /** The subnets on the router's other ports, SNAT'd on the way out. */
  internalCidrs: string[];
  enableSnat: boolean;
  floatingIps: { floating: string; fixed: string }[];
}

interface ServiceBase {
  node: string;
  name: string;
  /** Marks every process of this service (env LABLB_TOKEN), so cleanup finds them by PID
   *  even after a crash, and never confuses them with anyone else's. */
  token: string;
  pidfile: string;
  logfile: string;
}

export interface HttpTextService extends ServiceBase {
  kind: 'http-text';
  address: string;
  port: number;
  text: string;
}

export interface HttpWhoamiService extends ServiceBase {
  kind: 'http-whoami';
  address: string;
  port: number;
}

export interface HaproxyMember {
  id: string;
  node: string;
  address: string;
  port: number;
  weight: number;
}

export interface HaproxyService extends ServiceBase {
  kind: 'haproxy';
  config: string;
  statsSocket: string;
  user: string;
  group: string;
  listener: { id: string; address: string; port: number; protocol: 'HTTP' | 'TCP'; connectionLimit: number };
  pool: {
    id: string;
    lbMethod: 'ROUND_ROBIN' | 'LEAST_CONNECTIONS' | 'SOURCE_IP';
    monitor: { type: 'TCP' | 'HTTP'; delay: number; timeout: number; maxRetries: number; rise: number; urlPath: string };
    members: HaproxyMember[];
  };
}

export interface VrrpInstance {
  name: string;
  interface: string;
  network: string;
  vrid: number;
  priority: number;
  state: 'BACKUP' | 'MASTER';
  advertInt: number;
  nopreempt: boolean;
  vips: { address: string; prefix: number }[];
}

export interface KeepalivedService extends ServiceBase {
  kind: 'keepalived';
  config: string;
  vrrpPidfile: string;
  instances: VrrpInstance[];
}

export type LabService = HttpTextService | HttpWhoamiService | HaproxyService | KeepalivedService;

export interface Expectation {
  alternate?: string[];
  only?: string[];
  maxFailed: number;
}

export type LabStep =
  | { kind: 'traffic'; name: string; samples: number; expect: Expectation }
  | {
      kind: 'stop-service' | 'start-service';
      name: string;
      service: { node: string; name: string };
      watch: { node: string; service: string; member: HaproxyMember };
      withinMs: number;
      then: { samples: number; expect: Expectation };
    }
  | { kind: 'http-get'; name: string; from: string; url: string; expectBody: string }
  | { kind: 'nat-counters'; name: string; router: string; floating: string; fixed: string };

export interface LabExperiment {
  probe: { from: string; url: string; intervalMs: number; timeoutMs: number };
  steps: LabStep[];
}

export function findService(lab: Lab, node: string, name: string): LabService | undefined {
  return lab.nodes.find((n) => n.name === node)?.services.find((s) => s.name === name);
}

export function allServices(lab: Lab): LabService[] {
  return lab.nodes.flatMap((n) => n.services);
}
