// The scenario file's shape: what a person writes in scenarios/*.yaml.
// Field names follow Neutron's vocabulary where one exists (lb_method, floating_ips, ...).
// Cross-references (a port's network, a member's node) are checked later, in resolve.ts,
// where every name is known.
import { MAX_COPIES } from './repeat.js';
import { z } from 'zod';
import { Cidr, HostName, IfName, Ipv4, Line, Mac, Name, NsName, Uuid } from '../kinds/fields.js';
import { LAB_NAME, LAB_NAME_RULE } from '../lab-name.js';
import { UNSAFE_ABOVE_C0 } from '../safe-text.js';
import { RUNTIMES } from '../runtime/all.js';
import { AddressPair, SecurityGroupBlock } from '../security/schema.js';
import { SERVICE_KINDS } from '../services/all.js';
import { STEP_KINDS } from '../steps/all.js';

export { Cidr, IfName, Ipv4, NsName };

// Every list has a bound, so a file cannot ask for more than one host can give: namespaces and
// processes by the thousand are a lab (issue: a thousand routers), by the million an attack.
const MAX_SERVICES = 4096;

// Only net.* sysctls belong to a network namespace; kernel.*, vm.*, fs.* ... change the whole
// host (kernel.core_pattern runs a program as root) and are never undone.
const SysctlKey = z
  .string()
  .regex(/^net\.[a-z0-9_]+(\.[A-Za-z0-9_-]+)+$/, { error: 'only per-namespace sysctls (net.*) may be set: other keys change the whole host' })
  .meta({ title: 'net.* sysctl' });
const SysctlValue = z.union([z.number(), z.string().regex(/^[A-Za-z0-9 ._:-]{1,64}$/, { error: 'a sysctl value: letters, digits, spaces and ._:-' })]);

export const Switch = z
  .strictObject({
    datapath: z
      .enum(['auto', 'system', 'netdev'])
      .default('auto')
      .describe('auto: the kernel datapath where the openvswitch module exists, userspace (netdev) otherwise'),
    bridges: z.array(IfName).min(1).max(16).describe("the bridges of the lab's own Open vSwitch, e.g. [br-int, br-ex]"),
    l2pop_ha_notice: z
      .boolean()
      .optional()
      .describe(
        "with hosts: an HA router's state change moves its ports' l2pop entries to the new MASTER's host, as Neutron's L3 agent and server do (default true); false leaves them on the first host: the stale tunnel after a failover",
      ),
    underlay: Cidr.optional().describe(
      "with hosts: the network between them that carries VXLAN (each host's local_ip, in order; default 192.168.77.0/24); never a host NIC",
    ),
  })
  .describe("The lab's private Open vSwitch");

export const Network = z
  .strictObject({
    name: Name.describe('unique name, used by ports'),
    bridge: IfName.describe('one of switch.bridges'),
    cidr: Cidr.describe('the subnet, e.g. 10.0.0.0/24; unique per bridge and VLAN'),
    vlan: z
      .int()
      .min(1, { error: 'a VLAN tag from 1 to 4094' })
      .max(4094, { error: 'a VLAN tag from 1 to 4094' })
      .optional()
      .describe('the local VLAN tag of its ports on the bridge, as the OVS agent sets it on br-int'),
    vni: z
      .int()
      .min(1, { error: 'a VXLAN VNI from 1 to 16777215' })
      .max(16777215, { error: 'a VXLAN VNI from 1 to 16777215' })
      .optional()
      .describe("with hosts: a tenant network's segmentation id (VXLAN VNI); each host gives it its own local VLAN on br-int"),
    port_security_enabled: z
      .boolean()
      .optional()
      .describe(
        "Neutron's network attribute: the default of its ports' port_security_enabled (false: no anti-spoofing or security groups on a port unless it turns them on)",
      ),
  })
  .describe('An L2 segment on a bridge');

export const NodePort = z
  .strictObject({
    name: IfName.describe("the interface inside the node's namespace (tap04, qr01, eth0); at most 15 characters"),
    network: Name.describe('one of networks[].name'),
    address: Ipv4.describe("its IPv4 address, inside the network's subnet; the prefix comes from the network"),
    type: z
      .enum(['internal', 'veth'])
      .default('veth')
      .describe(
        'internal: an OVS internal port moved into the namespace (as seed 001 wires tap04, qr01, qg01); veth: a veth pair with bridge_port on the bridge',
      ),
    bridge_port: IfName.optional().describe('veth only: the name of the end plugged into the bridge (tapvm1)'),
    mac: Mac.optional().describe('a fixed MAC address (fa:16:3e:... as Neutron allocates)'),
    id: Uuid.optional().describe("Neutron's id of the port, so the article's commands may name it (neutron port-update <id> ...)"),
    dhcp: z.boolean().default(false).describe('its address comes from DHCP (a dhcp-request step asks for it); lablb does not set it'),
    plug_only: z
      .boolean()
      .default(false)
      .describe(
        "an agent inside the node sets it up (an amphora's VRRP port, which the amphora agent moves into amphora-haproxy and addresses); lablb plugs it in, down and unaddressed",
      ),
    vrrp_managed: z
      .boolean()
      .default(false)
      .describe(
        "keepalived adds and removes its address (an HA router's qr and qg ports, on every node with the same address and MAC); lablb only plugs it in",
      ),
    distributed: z
      .boolean()
      .default(false)
      .describe(
        "a DVR router's interface: the same port (address and MAC) in the router's namespace on every host it runs on; each host's br-tun sends it out under that host's DVR MAC",
      ),
    security_groups: z
      .array(Name)
      .max(16)
      .optional()
      .describe('Neutron port security: the groups whose rules let traffic in and out (any port that lists them, even [], has port security on)'),
    allowed_address_pairs: z
      .array(AddressPair)
      .max(64)
      .optional()
      .describe('more addresses the port may send from and answer ARP for (a keepalived VIP); needs port security'),
    port_security_enabled: z
      .boolean()
      .optional()
      .describe('false: no anti-spoofing and no security groups on this port (default: on when security_groups or allowed_address_pairs are given)'),
  })
  .describe('An interface of a node, plugged into a network');

export const Host = z
  .strictObject({
    name: HostName.describe('network1, compute1 ...; its Open vSwitch runs in namespace lablb-<lab>-<name>'),
    role: z.enum(['network', 'compute', 'controller']).describe("what it stands for (Neutron's network node, a compute node)"),
    external: z.boolean().default(false).describe('it has br-ex on the physical network the external networks run on'),
  })
  .describe('A Neutron host: its own Open vSwitch with br-int, br-tun (VXLAN to the other hosts) and, where external, br-ex');

export const Route = z
  .strictObject({
    to: z.union([z.literal('default'), Cidr], { error: 'a route destination: default or a CIDR' }).describe('default, or a destination CIDR'),
    via: Ipv4.describe("the gateway: an address on one of the node's networks"),
  })
  .describe("A static route in the node's namespace");

// Each kind brings its own block (src/services/<kind>/): the union is built from the registry.
type KindSchemas = [z.ZodObject, ...z.ZodObject[]];
export const Service = z.discriminatedUnion('kind', SERVICE_KINDS.map((k) => k.schema) as unknown as KindSchemas);

export const Node = z
  .strictObject({
    name: NsName.describe("the namespace's name, as the article names it (qrouter01, qlbaas-01, vm1)"),
    role: z
      .enum(['vm', 'router', 'loadbalancer', 'external', 'controller', 'amphora', 'share-server'])
      .describe('what it stands for; screens group nodes by it'),
    runtime: z
      .enum(RUNTIMES.map((r) => r.name) as [string, ...string[]])
      .default('netns')
      .describe(RUNTIMES.map((r) => `${r.name}: ${r.description}`).join('; ')),
    // Each runtime's own fields (a container's image), validated here and read by the runtime
    // alone (typed there); resolve refuses them on another runtime's node.
    ...(Object.assign({}, ...RUNTIMES.map((r) => r.fields)) as Record<never, never>),
    host: HostName.optional().describe('with hosts: the host it runs on (one of hosts[].name)'),
    ports: z.array(NodePort).max(64).describe('its interfaces (none: a namespace with only lo, such as an amphora-haproxy namespace before plug vip)'),
    routes: z.array(Route).max(256).default([]),
    sysctls: z
      .record(SysctlKey, SysctlValue)
      .refine((s) => Object.keys(s).length <= 64, { error: 'at most 64 sysctls' })
      .default({})
      .describe('set in the namespace, e.g. net.ipv4.ip_forward: 1; only net.* (per-namespace) keys'),
    services: z.array(Service).max(32).default([]).describe('processes to run in the namespace'),
    // Blocks the article writes on the node itself, each a kind's (a router's l3:).
    ...(Object.fromEntries(SERVICE_KINDS.flatMap((k) => (k.nodeField ? [[k.nodeField.name, k.nodeField.schema.optional()]] : []))) as Record<never, never>),
  })
  .describe('A network namespace: a VM, a router, a load balancer or the outside world');

export const Step = z.discriminatedUnion('kind', STEP_KINDS.map((k) => k.schema) as unknown as KindSchemas);

const Probe = z
  .strictObject({
    name: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { error: 'a probe name: letters, digits, "_", "." or "-"' })
      .optional()
      .describe('how steps name it (default: http, or probe-2, probe-3 ...)'),
    from: NsName.describe('the node the prober runs in'),
    url: z
      .url({ protocol: /^http$/, error: 'an http:// URL' })
      .optional()
      .describe('HTTP: one GET every interval, each on a new connection'),
    tcp: z
      .string()
      .regex(/^\d{1,3}(\.\d{1,3}){3}:\d{1,5}$/, { error: 'an address:port such as 10.255.253.1:9000' })
      .optional()
      .describe('or one long-lived TCP stream to a tcp-stream service, sampled every interval'),
    mode: z
      .enum(['push', 'echo'])
      .default('push')
      .describe('tcp: push, the server writes every interval (the outside speaks first); echo, the prober writes and the server answers'),
    sessions: z
      .strictObject({ port: z.int().min(1).max(65535).describe('the port of the tcp-echo services behind the floating IPs') })
      .optional()
      .describe(
        "or a TCP session to every floating IP of the lab (a tcp-echo service in each VM behind one), each written to every interval: which are quiet, which died; steps' sessions: name it",
      ),
    interval_ms: z.int().min(10).max(10000).default(50).describe('one request every interval, for the whole run'),
    timeout_ms: z.int().min(10).max(30000).default(1000).describe('a request slower than this counts as failed'),
    warm_up: z
      .boolean()
      .default(true)
      .describe('the experiment starts once this probe has had its first replies; false for a target that is meant to be unreachable at first'),
  })
  .describe('A prober: HTTP requests at a fixed rate, each on a new connection, so every outage is measured');

export const Experiment = z
  .strictObject({
    probe: Probe.optional().describe('one prober (the same as probes: with one entry)'),
    probes: z.array(Probe).max(16).optional().describe('probers sending traffic for the whole run; steps name them'),
    warm_up_ms: z
      .int()
      .min(1000)
      .max(120_000)
      .default(15_000)
      .describe('how long the lab may take to serve before the first step (a controller that boots its amphorae first needs longer)'),
    steps: z.array(Step).min(1).max(1000),
  })
  .describe('What `lablb run` does once the lab is up');

const Parameter = z
  .strictObject({
    default: z.union([z.number(), z.boolean(), Line(200)]).describe('its value unless `--set name=value` says otherwise'),
    description: Line().optional().describe('what it changes, for `lablb list` and this reference'),
  })
  .describe('A parameter: a value the file uses as "${name}" and a run may override');

export const Scenario = z
  .strictObject({
    name: z
      .string()
      .regex(LAB_NAME, { error: `a lab name: ${LAB_NAME_RULE}` })
      .describe("the scenario's name, and the lab's unless --name says otherwise"),
    title: Line().optional().describe('one line for `lablb list`'),
    description: z
      .string()
      .max(4000)
      .regex(new RegExp(`^[^\\u0000-\\u0008\\u000b-\\u001f${UNSAFE_ABOVE_C0}]*$`), { error: 'text without control characters' })
      .optional(),
    source: Line().optional().describe('where it comes from (an article, a bug report)'),
    switch: Switch,
    hosts: z
      .array(Host)
      .min(2)
      .max(16)
      .optional()
      .describe('several Neutron hosts, each with its own Open vSwitch, joined by VXLAN tunnels with l2pop; every node then names its host'),
    networks: z.array(Network).min(1).max(1024),
    nodes: z
      .array(Node)
      .min(1)
      .max(2048)
      .refine((nodes) => nodes.reduce((n, node) => n + node.services.length, 0) <= MAX_SERVICES, { error: `at most ${MAX_SERVICES} services in a lab` }),
    security_groups: z
      .array(SecurityGroupBlock)
      .max(256)
      .default([])
      .describe("Neutron security groups that ports list; enforced in the lab's Open vSwitch with anti-spoofing, as Neutron's OVS agent does"),
    parameters: z
      .record(
        z
          .string()
          .regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/, { error: 'a parameter name: lowercase words joined by "." or "_", e.g. health_monitor.delay' }),
        Parameter,
      )
      .refine((p) => Object.keys(p).length <= 256, { error: 'at most 256 parameters' })
      .optional()
      .describe('values a run may override with --set name=value; the file uses one as a whole value, "${name}"'),
    repeat: z
      .array(
        z.strictObject({
          count: z.int().min(1).max(MAX_COPIES).describe('how many copies; "${routers}" lets a run choose'),
          networks: z
            .array(z.record(z.string(), z.unknown()))
            .optional()
            .describe('networks to copy; "{i}" is the copy number, "{i % 250 + 2}" an expression of it'),
          nodes: z.array(z.record(z.string(), z.unknown())).optional().describe('nodes to copy, written as in nodes:'),
        }),
      )
      .optional()
      .describe('networks and nodes written once and copied count times (a network node of many routers); the copies are checked as if written out'),
    experiment: Experiment.optional(),
  })
  .describe('A scenario file');

export type ScenarioFile = z.infer<typeof Scenario>;
export type ScenarioNode = z.infer<typeof Node>;
export type ScenarioService = { name: string; kind: string };
export type ScenarioStep = { name: string; kind: string };
export type ScenarioProbe = z.infer<typeof Probe>;
export type ScenarioHost = z.infer<typeof Host>;
