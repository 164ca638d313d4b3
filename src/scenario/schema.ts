// The scenario file's shape: what a person writes in scenarios/*.yaml.
// Field names follow Neutron's vocabulary where one exists (lb_method, floating_ips, ...).
// Cross-references (a port's network, a member's node) are checked later, in resolve.ts,
// where every name is known.
import { z } from 'zod';

// lablb parses one file per run: compiling fast paths (zod's JIT) costs more than it saves.
z.config({ jitless: true });

// Linux limits an interface name to 15 bytes (IFNAMSIZ - 1) and refuses '/', ':' and spaces.
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
// A namespace is a file under /run/netns; keep it to a safe, readable alphabet.
const NSNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const LABNAME = /^[a-z0-9][a-z0-9-]{0,39}$/;

export const IfName = z
  .string()
  .regex(IFNAME, { error: 'an interface name: 1-15 letters, digits, "_", "." or "-"' });
export const NsName = z
  .string()
  .regex(NSNAME, { error: 'a namespace name: 1-64 letters, digits, "_", "." or "-"' });
export const Ipv4 = z.ipv4({ error: 'an IPv4 address such as 10.0.0.81' });
export const Cidr = z.cidrv4({ error: 'an IPv4 network such as 10.0.0.0/24' });
const Port = z.int({ error: 'a TCP/UDP port number' }).min(1).max(65535);
const Positive = z.number({ error: 'a positive number' }).positive();
const Mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, { error: 'a MAC address such as fa:16:3e:f4:8f:ae' });
/** "10.0.0.81:80" */
const Endpoint = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, { error: 'an address:port such as 10.0.0.81:80' });
/** "vm2/web": a service of a node. */
const ServiceRef = z
  .string()
  .regex(/^[^/\s]+\/[^/\s]+$/, { error: 'a service reference node/service such as vm2/web' });

export const Switch = z.strictObject({
  /** auto: the kernel datapath where the openvswitch module exists, userspace otherwise. */
  datapath: z.enum(['auto', 'system', 'netdev']).default('auto'),
  bridges: z.array(IfName).min(1),
});

export const Network = z.strictObject({
  name: z.string().min(1),
  bridge: IfName,
  cidr: Cidr,
  /** The local VLAN tag on the bridge, as the OVS agent sets it on br-int. */
  vlan: z.int().min(1, { error: 'a VLAN tag from 1 to 4094' }).max(4094, { error: 'a VLAN tag from 1 to 4094' }).optional(),
});

export const NodePort = z.strictObject({
  /** The interface's name inside the node's namespace (tap04, qr01, eth0). */
  name: IfName,
  network: z.string().min(1),
  address: Ipv4,
  /** internal: an OVS internal port moved into the namespace (seed 001's tap04/qr01/qg01);
   *  veth: a veth pair whose other end (bridge_port) is plugged into the bridge. */
  type: z.enum(['internal', 'veth']).default('veth'),
  bridge_port: IfName.optional(),
  mac: Mac.optional(),
});

export const Route = z.strictObject({
  to: z.union([z.literal('default'), Cidr], { error: 'a route destination: default or a CIDR' }),
  via: Ipv4,
});

const HttpText = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('http-text'),
  listen: Endpoint,
  text: z.string().min(1),
});

const HttpWhoami = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('http-whoami'),
  listen: Endpoint,
});

const HealthMonitor = z.strictObject({
  type: z.enum(['TCP', 'HTTP']).default('TCP'),
  delay: Positive,
  timeout: Positive,
  max_retries: z.int().min(1).max(10),
  rise: z.int().min(1).max(10).default(2),
  url_path: z.string().startsWith('/').default('/'),
});

const Member = z.strictObject({
  id: z.string().min(1),
  /** The node that hosts the member; lets steps and screens say "vm2", not a UUID. */
  node: NsName,
  address: Ipv4,
  protocol_port: Port,
  weight: z.int().min(0).max(256).default(1),
});

const Haproxy = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('haproxy'),
  user: z.string().default('haproxy'),
  group: z.string().default('haproxy'),
  listener: z.strictObject({
    id: z.string().min(1),
    address: Ipv4,
    protocol_port: Port,
    protocol: z.enum(['HTTP', 'TCP']).default('HTTP'),
    connection_limit: z.int().positive().default(100),
  }),
  pool: z.strictObject({
    id: z.string().min(1),
    lb_method: z.enum(['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP']).default('ROUND_ROBIN'),
    health_monitor: HealthMonitor,
    members: z.array(Member).min(1),
  }),
});

export const Service = z.discriminatedUnion('kind', [HttpText, HttpWhoami, Haproxy]);

const FloatingIp = z.strictObject({ floating_ip_address: Ipv4, fixed_ip_address: Ipv4 });

/** The neutron-l3-agent's NAT in a router namespace. */
export const L3 = z.strictObject({
  gateway_port: IfName,
  /** Default SNAT of the internal subnets to the gateway port's address (enable_snat). */
  enable_snat: z.boolean().default(true),
  floating_ips: z.array(FloatingIp).default([]),
});

export const Node = z.strictObject({
  name: NsName,
  role: z.enum(['vm', 'router', 'loadbalancer', 'external']),
  ports: z.array(NodePort).min(1),
  routes: z.array(Route).default([]),
  sysctls: z.record(z.string(), z.union([z.string(), z.number()])).default({}),
  services: z.array(Service).default([]),
  l3: L3.optional(),
});

const Expect = z.strictObject({
  /** Replies must alternate between these bodies (round robin). */
  alternate: z.array(z.string()).min(2).optional(),
  /** Replies must all be one of these bodies. */
  only: z.array(z.string()).min(1).optional(),
  max_failed: z.int().min(0).default(0),
});

const Traffic = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('traffic'),
  samples: z.int().min(2).max(10000),
  expect: Expect,
});

const MemberWatch = z.strictObject({
  loadbalancer: ServiceRef,
  member: NsName,
});

const ServiceStep = {
  name: z.string().min(1),
  service: ServiceRef,
  /** The load balancer member whose state change is timed. */
  watch: MemberWatch,
  /** How long to wait for the state change, in ms. */
  within_ms: z.int().positive(),
  /** Traffic to check once the change is seen. */
  then: z.strictObject({ samples: z.int().min(2).max(10000), expect: Expect }),
};
const StopService = z.strictObject({ ...ServiceStep, kind: z.literal('stop-service') });
const StartService = z.strictObject({ ...ServiceStep, kind: z.literal('start-service') });

const HttpGet = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('http-get'),
  from: NsName,
  url: z.url({ protocol: /^http$/, error: 'an http:// URL' }),
  expect_body: z.string(),
});

const NatCounters = z.strictObject({
  name: z.string().min(1),
  kind: z.literal('nat-counters'),
  router: NsName,
  floating_ip_address: Ipv4,
});

export const Step = z.discriminatedUnion('kind', [Traffic, StopService, StartService, HttpGet, NatCounters]);

export const Experiment = z.strictObject({
  probe: z.strictObject({
    from: NsName,
    url: z.url({ protocol: /^http$/, error: 'an http:// URL' }),
    interval_ms: z.int().min(10).max(10000).default(50),
    timeout_ms: z.int().min(10).max(30000).default(1000),
  }),
  steps: z.array(Step).min(1),
});

export const Scenario = z.strictObject({
  name: z.string().regex(LABNAME, { error: 'a lab name: lowercase letters, digits and "-", up to 40' }),
  title: z.string().optional(),
  description: z.string().optional(),
  source: z.string().optional(),
  switch: Switch,
  networks: z.array(Network).min(1),
  nodes: z.array(Node).min(1),
  experiment: Experiment.optional(),
});

export type ScenarioFile = z.infer<typeof Scenario>;
export type ScenarioNode = z.infer<typeof Node>;
export type ScenarioService = z.infer<typeof Service>;
export type ScenarioStep = z.infer<typeof Step>;
export type HaproxyService = z.infer<typeof Haproxy>;
export type ExpectSpec = z.infer<typeof Expect>;
