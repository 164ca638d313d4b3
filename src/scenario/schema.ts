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
  .regex(IFNAME, { error: 'an interface name: 1-15 letters, digits, "_", "." or "-"' })
  .meta({ title: 'interface name (1-15 characters)' });
export const NsName = z
  .string()
  .regex(NSNAME, { error: 'a namespace name: 1-64 letters, digits, "_", "." or "-"' })
  .meta({ title: 'namespace name (1-64 characters)' });
export const Ipv4 = z.ipv4({ error: 'an IPv4 address such as 10.0.0.81' });
export const Cidr = z.cidrv4({ error: 'an IPv4 network such as 10.0.0.0/24' });
const Port = z.int({ error: 'a TCP/UDP port number' }).min(1).max(65535);
const Positive = z.number({ error: 'a positive number' }).positive();
const Mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, { error: 'a MAC address such as fa:16:3e:f4:8f:ae' })
  .meta({ title: 'MAC address' });
/** "10.0.0.81:80" */
const Endpoint = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, { error: 'an address:port such as 10.0.0.81:80' })
  .meta({ title: 'address:port' });
/** "vm2/web": a service of a node. */
const ServiceRef = z
  .string()
  .regex(/^[^/\s]+\/[^/\s]+$/, { error: 'a service reference node/service such as vm2/web' })
  .meta({ title: 'node/service' });

export const Switch = z.strictObject({
  datapath: z.enum(['auto', 'system', 'netdev']).default('auto')
    .describe('auto: the kernel datapath where the openvswitch module exists, userspace (netdev) otherwise'),
  bridges: z.array(IfName).min(1).describe('the bridges of the lab\'s own Open vSwitch, e.g. [br-int, br-ex]'),
}).describe('The lab\'s private Open vSwitch');

export const Network = z.strictObject({
  name: z.string().min(1).describe('unique name, used by ports'),
  bridge: IfName.describe('one of switch.bridges'),
  cidr: Cidr.describe('the subnet, e.g. 10.0.0.0/24; unique per bridge and VLAN'),
  vlan: z.int().min(1, { error: 'a VLAN tag from 1 to 4094' }).max(4094, { error: 'a VLAN tag from 1 to 4094' }).optional()
    .describe('the local VLAN tag of its ports on the bridge, as the OVS agent sets it on br-int'),
}).describe('An L2 segment on a bridge');

export const NodePort = z.strictObject({
  name: IfName.describe('the interface inside the node\'s namespace (tap04, qr01, eth0); at most 15 characters'),
  network: z.string().min(1).describe('one of networks[].name'),
  address: Ipv4.describe('its IPv4 address, inside the network\'s subnet; the prefix comes from the network'),
  type: z.enum(['internal', 'veth']).default('veth')
    .describe('internal: an OVS internal port moved into the namespace (as seed 001 wires tap04, qr01, qg01); veth: a veth pair with bridge_port on the bridge'),
  bridge_port: IfName.optional().describe('veth only: the name of the end plugged into the bridge (tapvm1)'),
  mac: Mac.optional().describe('a fixed MAC address (fa:16:3e:... as Neutron allocates)'),
}).describe('An interface of a node, plugged into a network');

export const Route = z.strictObject({
  to: z.union([z.literal('default'), Cidr], { error: 'a route destination: default or a CIDR' }).describe('default, or a destination CIDR'),
  via: Ipv4.describe('the gateway: an address on one of the node\'s networks'),
}).describe('A static route in the node\'s namespace');

const HttpText = z.strictObject({
  name: z.string().min(1).describe('unique on the node; steps name it as node/name'),
  kind: z.literal('http-text'),
  listen: Endpoint.describe('address:port; the address must be one of the node\'s'),
  text: z.string().min(1).describe('the body of every reply (the article\'s nc loop answering server_81)'),
}).describe('A web server that answers every request with a fixed text');

const HttpWhoami = z.strictObject({
  name: z.string().min(1).describe('unique on the node'),
  kind: z.literal('http-whoami'),
  listen: Endpoint.describe('address:port; the address must be one of the node\'s'),
}).describe('A web server that answers with the caller\'s address, so SNAT can be seen from outside');

const HealthMonitor = z.strictObject({
  type: z.enum(['TCP', 'HTTP']).default('TCP').describe('TCP: connect; HTTP: GET url_path, expect 200'),
  delay: Positive.describe('seconds between checks (haproxy inter)'),
  timeout: Positive.describe('seconds a check may take (timeout check)'),
  max_retries: z.int().min(1).max(10).describe('failed checks before a member is DOWN (fall)'),
  rise: z.int().min(1).max(10).default(2).describe('good checks before a DOWN member is UP again'),
  url_path: z.string().startsWith('/').default('/').describe('HTTP checks only'),
}).describe('The pool\'s health monitor, as Neutron LBaaS defines it');

const Member = z.strictObject({
  id: z.string().min(1).describe('the member\'s id: haproxy\'s server name'),
  node: NsName.describe('the node that hosts it; steps and screens say "vm2", not the id'),
  address: Ipv4,
  protocol_port: Port,
  weight: z.int().min(0).max(256).default(1),
}).describe('A pool member');

const Haproxy = z.strictObject({
  name: z.string().min(1).describe('unique on the node'),
  kind: z.literal('haproxy'),
  user: z.string().default('haproxy').describe('the user haproxy drops to'),
  group: z.string().default('haproxy'),
  listener: z.strictObject({
    id: z.string().min(1).describe('haproxy\'s frontend name'),
    address: Ipv4.describe('the VIP: one of the node\'s addresses'),
    protocol_port: Port,
    protocol: z.enum(['HTTP', 'TCP']).default('HTTP'),
    connection_limit: z.int().positive().default(100),
  }).describe('The listener: haproxy\'s frontend'),
  pool: z.strictObject({
    id: z.string().min(1).describe('haproxy\'s backend name'),
    lb_method: z.enum(['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP']).default('ROUND_ROBIN'),
    health_monitor: HealthMonitor,
    members: z.array(Member).min(1),
  }).describe('The pool: haproxy\'s backend'),
}).describe('An LBaaS load balancer: haproxy with a stats socket, configured as Neutron\'s haproxy driver does');

const VrrpInstance = z.strictObject({
  name: z.string().min(1).describe('the instance name (VR_1); instances of one name on several nodes form one VRRP group'),
  interface: IfName.describe('one of the node\'s ports; VRRP adverts go out on it'),
  virtual_router_id: z.int({ error: 'a VRRP virtual_router_id' }).min(1, { error: 'a virtual_router_id from 1 to 255' }).max(255, { error: 'a virtual_router_id from 1 to 255' })
    .describe('the same for a group; unique among groups on one network'),
  priority: z.int().min(1, { error: 'a priority from 1 to 254' }).max(254, { error: 'a priority from 1 to 254' }).describe('the highest becomes MASTER'),
  state: z.enum(['BACKUP', 'MASTER']).default('BACKUP').describe('the state it starts in (Neutron starts every node as BACKUP)'),
  advert_int: Positive.default(1).describe('seconds between adverts; a BACKUP takes over after about 3 missed'),
  nopreempt: z.boolean().default(false).describe('a recovered higher-priority node does not take the VIP back'),
  virtual_ipaddress: z.array(Ipv4).min(1).describe('the VIPs, on the interface\'s network'),
}).describe('A VRRP instance');

const Keepalived = z.strictObject({
  name: z.string().min(1).describe('unique on the node'),
  kind: z.literal('keepalived'),
  instances: z.array(VrrpInstance).min(1),
}).describe('keepalived: VRRP instances that move VIPs between nodes');

export const Service = z.discriminatedUnion('kind', [HttpText, HttpWhoami, Haproxy, Keepalived]);

const FloatingIp = z.strictObject({
  floating_ip_address: Ipv4.describe('on the gateway port\'s network'),
  fixed_ip_address: Ipv4.describe('on one of the router\'s internal networks'),
}).describe('A floating IP: DNAT in PREROUTING and OUTPUT, SNAT in float-snat, the address on the gateway port');

export const L3 = z.strictObject({
  gateway_port: IfName.describe('the port on the external network (qg01)'),
  enable_snat: z.boolean().default(true).describe('SNAT the internal subnets to the gateway port\'s address'),
  floating_ips: z.array(FloatingIp).default([]),
}).describe('The neutron-l3-agent\'s iptables in a router namespace');

export const Node = z.strictObject({
  name: NsName.describe('the namespace\'s name, as the article names it (qrouter01, qlbaas-01, vm1)'),
  role: z.enum(['vm', 'router', 'loadbalancer', 'external']).describe('what it stands for; screens group nodes by it'),
  ports: z.array(NodePort).min(1),
  routes: z.array(Route).default([]),
  sysctls: z.record(z.string(), z.union([z.string(), z.number()])).default({}).describe('set in the namespace, e.g. net.ipv4.ip_forward: 1'),
  services: z.array(Service).default([]).describe('processes to run in the namespace'),
  l3: L3.optional(),
}).describe('A network namespace: a VM, a router, a load balancer or the outside world');

const Expect = z.strictObject({
  alternate: z.array(z.string()).min(2).optional().describe('replies must alternate between these bodies (round robin)'),
  only: z.array(z.string()).min(1).optional().describe('replies must all be one of these bodies'),
  max_failed: z.int().min(0).default(0).describe('failed requests allowed'),
}).describe('What the prober\'s replies must look like');

const Traffic = z.strictObject({
  name: z.string().min(1).describe('the check\'s name in reports'),
  kind: z.literal('traffic'),
  samples: z.int().min(2).max(10000).describe('how many of the prober\'s next replies to judge'),
  expect: Expect,
}).describe('Judge the prober\'s next replies');

const MemberWatch = z.strictObject({
  loadbalancer: ServiceRef.describe('a haproxy service, as node/name'),
  member: NsName.describe('the node of the member whose state is timed'),
}).describe('The load balancer member whose state change is timed');

const ServiceStep = {
  name: z.string().min(1).describe('the check\'s name in reports'),
  service: ServiceRef.describe('the service to stop or start, as node/name'),
  watch: MemberWatch,
  within_ms: z.int().positive().describe('how long the member may take to change state'),
  then: z.strictObject({ samples: z.int().min(2).max(10000), expect: Expect }).describe('traffic to judge once the change is seen'),
};
const StopService = z.strictObject({ ...ServiceStep, kind: z.literal('stop-service') })
  .describe('Kill a service\'s processes; time until the load balancer marks its member DOWN; count failed requests');
const StartService = z.strictObject({ ...ServiceStep, kind: z.literal('start-service') })
  .describe('Start a service again; time until its member is UP');

const HttpGet = z.strictObject({
  name: z.string().min(1).describe('the check\'s name in reports'),
  kind: z.literal('http-get'),
  from: NsName.describe('the node to send it from'),
  url: z.url({ protocol: /^http$/, error: 'an http:// URL' }),
  expect_body: z.string().describe('the reply\'s body, without surrounding white space'),
}).describe('One HTTP request from a node, with curl');

const NatCounters = z.strictObject({
  name: z.string().min(1).describe('the check\'s name in reports'),
  kind: z.literal('nat-counters'),
  router: NsName.describe('a node with l3'),
  floating_ip_address: Ipv4.describe('one of the router\'s floating IPs'),
}).describe('The floating IP\'s DNAT and SNAT rules counted packets since the experiment began');

export const Step = z.discriminatedUnion('kind', [Traffic, StopService, StartService, HttpGet, NatCounters]);

export const Experiment = z.strictObject({
  probe: z.strictObject({
    from: NsName.describe('the node the prober runs in'),
    url: z.url({ protocol: /^http$/, error: 'an http:// URL' }),
    interval_ms: z.int().min(10).max(10000).default(50).describe('one request every interval, for the whole run'),
    timeout_ms: z.int().min(10).max(30000).default(1000).describe('a request slower than this counts as failed'),
  }).describe('The prober: HTTP requests at a fixed rate, each on a new connection, so every outage is measured'),
  steps: z.array(Step).min(1),
}).describe('What `lablb run` does once the lab is up');

export const Scenario = z.strictObject({
  name: z.string().regex(LABNAME, { error: 'a lab name: lowercase letters, digits and "-", up to 40' })
    .describe('the scenario\'s name, and the lab\'s unless --name says otherwise'),
  title: z.string().optional().describe('one line for `lablb list`'),
  description: z.string().optional(),
  source: z.string().optional().describe('where it comes from (an article, a bug report)'),
  switch: Switch,
  networks: z.array(Network).min(1),
  nodes: z.array(Node).min(1),
  experiment: Experiment.optional(),
}).describe('A scenario file');

export type ScenarioFile = z.infer<typeof Scenario>;
export type ScenarioNode = z.infer<typeof Node>;
export type ScenarioService = z.infer<typeof Service>;
export type ScenarioStep = z.infer<typeof Step>;
export type HaproxyService = z.infer<typeof Haproxy>;
export type ExpectSpec = z.infer<typeof Expect>;
