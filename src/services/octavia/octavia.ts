// Octavia's controller (worker + health manager) on a controller node on lb-mgmt-net (seed
// 004): it creates the load balancer's amphorae through the lab's API, configures them over
// their agents' REST API, and replaces one whose heartbeats stop. lablb writes its config and
// starts it; the observer reads its database file and shows the amphora table, with which
// amphora holds the VIP now.
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { AmphoraRow, ControllerConfig, OctaviaDb } from '../../agents/octavia-templates.js';
import { holdersOf, serviceFacts, type Facts } from '../../kinds/facts.js';
import { serviceEvent, type EventTone } from '../../kinds/events.js';
import { Cidr, Ipv4, Mac, Name, Uuid } from '../../kinds/fields.js';
import { ApiPrefix, HeartbeatKey } from '../shared/octavia-fields.js';
import { startKindAgent } from '../shared/web-agent.js';
import { labKeyPath } from '../../token.js';
import { serviceKind, type KindObserver, type ObserverContext, type Row } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { contains } from '../../net/addr.js';
import { loadbalancerWait } from './wait.js';

export interface OctaviaSpec {
  config: ControllerConfig;
  /** Where lablb writes the config and the controller its database. */
  configFile: string;
}

/** What the observer keeps: the database as last read, and the VIP's holder. */
export interface OctaviaFacts {
  db?: OctaviaDb;
  /** The amphora (id) whose amphora-haproxy namespace holds the VIP now. */
  vipHolders: string[];
  /** Each change of holders, when it was seen (ms since the epoch, as the database's times). */
  vipHistory: { at: number; holders: string[] }[];
}

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('octavia'),
    topology: z.enum(['SINGLE', 'ACTIVE_STANDBY']).default('ACTIVE_STANDBY').describe('one amphora (STANDALONE) or a MASTER/BACKUP pair'),
    loadbalancer: z.strictObject({
      id: Uuid,
      vip_address: Ipv4.describe('ha_ip: the VIP on the tenant subnet'),
      vip_port_id: Uuid.describe('ha_port_id: the VIP port (an allowed address pair of the VRRP ports)'),
      network: Name.describe('the tenant network of the VIP and the VRRP ports'),
      subnet_cidr: Cidr,
      gateway: Ipv4.describe("the subnet's gateway (the router's qr address)"),
    }),
    listener: z.strictObject({
      id: Uuid,
      protocol: z.enum(['HTTP', 'TCP']).default('HTTP'),
      protocol_port: z.int().min(1).max(65535),
      connection_limit: z.int().min(1).max(1_000_000).default(1000),
    }),
    pool: z.strictObject({
      id: Uuid,
      lb_algorithm: z.enum(['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP']).default('ROUND_ROBIN'),
      health_monitor: z
        .strictObject({
          delay: z.int().min(1).max(300).default(5),
          timeout: z.int().min(1).max(300).default(5),
          max_retries: z.int().min(1).max(10).default(3),
          rise: z.int().min(1).max(10).default(3),
        })
        .default({ delay: 5, timeout: 5, max_retries: 3, rise: 3 }),
      members: z
        .array(z.strictObject({ id: Uuid, address: Ipv4, protocol_port: z.int().min(1).max(65535) }))
        .min(1)
        .max(64),
    }),
    management: z
      .strictObject({
        network: Name.describe("lb-mgmt-net: where the controller and the amphorae' eth0 are"),
        addresses: z.array(Ipv4).min(1).max(64).describe("the addresses Neutron gives the amphorae's eth0, in boot order"),
      })
      .describe('the management network and the addresses amphorae get on it'),
    amphorae: z
      .array(
        z.strictObject({
          id: Uuid,
          compute_id: Uuid.optional(),
          mgmt_port_id: Uuid.optional(),
          mgmt_mac: Mac.optional(),
        }),
      )
      .max(64)
      .default([])
      .describe("amphorae in boot order (the article's ids); any later one gets a random id"),
    vrrp_ports: z
      .array(z.strictObject({ id: Uuid, address: Ipv4, mac: Mac }))
      .min(1)
      .max(8)
      .describe("the amphorae's ports on the tenant subnet: the MASTER's (or STANDALONE's) first, then spares for build-first failovers"),
    vrrp_security_group: Name.optional().describe(
      "the security group of the VRRP ports (Octavia's lb-<id>), which also get the VIP as an allowed address pair; none: no port security on them",
    ),
    heartbeat: z
      .strictObject({
        key: HeartbeatKey.default('insecure'),
        interval_ms: z.int().min(100).max(60_000).default(1000),
        timeout_ms: z.int().min(500).max(600_000).default(5000),
        check_interval_ms: z.int().min(100).max(60_000).default(1000),
      })
      .default({ key: 'insecure', interval_ms: 1000, timeout_ms: 5000, check_interval_ms: 1000 })
      .describe("heartbeat_key, heartbeat_interval, heartbeat_timeout, health_check_interval (Octavia's defaults: insecure, 10 s, 60 s, 3 s)"),
    agent: z
      .strictObject({ port: z.int().min(1).max(65535).default(9876), api_prefix: ApiPrefix.default('/0.5') })
      .default({ port: 9876, api_prefix: '/0.5' })
      .describe("the amphora agent's port and API prefix (Mitaka: 9876 and /0.5; today 9443, /1.0 and TLS)"),
    vrrp: z
      .strictObject({
        advert_int: z.int().min(1).max(255).default(1),
        check_interval: z.int().min(1).max(60).default(5),
        check_fall: z.int().min(1).max(10).default(2),
        check_rise: z.int().min(1).max(10).default(2),
      })
      .default({ advert_int: 1, check_interval: 5, check_fall: 2, check_rise: 2 })
      .describe("keepalived in the amphorae: advert_int and the vrrp_script's interval, fall, rise (Octavia's 1, 5, 2, 2)"),
    amphora_boot_ms: z
      .int()
      .min(0)
      .max(600_000)
      .default(0)
      .describe(
        "how long Nova takes to boot an amphora: the controller waits this long before talking to a new one (a real VM: 30 s or more; the lab's: well under 1 s)",
      ),
    failover_order: z
      .enum(['delete-first', 'build-first'])
      .default('delete-first')
      .describe("the article's (Mitaka) delete-first, or build-first as Octavia does since Rocky (a new VRRP port: list a spare in vrrp_ports)"),
    replacement_preempts: z
      .boolean()
      .default(false)
      .describe('pitfall 9 (story 2010595): render a replacement with state MASTER and no nopreempt, so it takes the VIP back'),
  })
  .describe("Octavia's controller: worker and health manager, on lb-mgmt-net");

const factsOf = (facts: Facts, s: { node: string; name: string }) => serviceFacts<OctaviaFacts>(facts, s, () => ({ vipHolders: [], vipHistory: [] }));

/** The database as the observer last read it, for waits and rows. */
export function octaviaDb(facts: Facts, s: { node: string; name: string }): OctaviaDb | undefined {
  return factsOf(facts, s).db;
}

/** The amphorae holding the VIP now, by id. */
export function vipHolders(facts: Facts, s: { node: string; name: string }): string[] {
  return factsOf(facts, s).vipHolders;
}

const short = (id: string) => id.slice(0, 8);

function observer(services: LabService<OctaviaSpec>[], ctx: ObserverContext): KindObserver {
  return {
    everyMs: 250,
    async poll() {
      for (const s of services) {
        const text = ctx.host.readFile(s.spec.config.db);
        if (!text) continue;
        let db: OctaviaDb;
        try {
          db = JSON.parse(text) as OctaviaDb;
        } catch {
          continue; // being rewritten
        }
        const seen = factsOf(ctx.facts, s);
        const before = seen.db;
        const tell = (event: string, text: string, tone: EventTone, fields: Record<string, string | number>) =>
          ctx.emit(serviceEvent('octavia', s, event, { text: `${s.node}/${s.name}: ${text}`, tone }, fields, ctx.since()));
        for (const a of db.amphorae) {
          const was = before?.amphorae.find((b) => b.id === a.id)?.status;
          if (was !== a.status)
            tell(
              'amphora',
              `amphora ${short(a.id)} (${a.role}, ${a.lb_network_ip}) ${was ? `${was} -> ` : ''}${a.status}`,
              a.status === 'ALLOCATED' ? 'good' : a.status === 'BOOTING' ? 'info' : 'bad',
              { amphora: a.id, status: a.status },
            );
        }
        const lbWas = before?.loadbalancer.provisioning_status;
        if (lbWas !== db.loadbalancer.provisioning_status)
          tell(
            'loadbalancer',
            `loadbalancer ${short(db.loadbalancer.id)} ${lbWas ? `${lbWas} -> ` : ''}${db.loadbalancer.provisioning_status}${db.loadbalancer.error ? `: ${db.loadbalancer.error}` : ''}`,
            db.loadbalancer.provisioning_status === 'ACTIVE' ? 'good' : 'bad',
            { status: db.loadbalancer.provisioning_status },
          );
        if (before && db.heartbeats.dropped > before.heartbeats.dropped)
          tell('heartbeat', `dropped a heartbeat: ${db.heartbeats.lastDropReason ?? 'bad message'}`, 'bad', { dropped: db.heartbeats.dropped });
        seen.db = db;
        const holders = holdersOf(ctx.facts, db.loadbalancer.vip_address);
        // A deleted amphora's namespace is gone, whatever its last reading said.
        const now = db.amphorae.filter((a) => a.status !== 'DELETED' && holders.includes(a.haproxy_node)).map((a) => a.id);
        if (now.join() !== seen.vipHolders.join() || seen.vipHistory.length === 0) {
          if (before)
            tell('vip', `VIP ${db.loadbalancer.vip_address} held by ${now.map(short).join(', ') || 'no amphora'}`, now.length === 1 ? 'good' : 'bad', {
              holders: now.join(' '),
            });
          seen.vipHistory.push({ at: Date.now(), holders: now });
        }
        seen.vipHolders = now;
      }
    },
  };
}

function amphoraRow(a: AmphoraRow, holders: string[]): Row {
  const tone = a.status === 'ALLOCATED' ? 'good' : a.status === 'DELETED' ? 'dim' : 'warn';
  return [
    { text: `  ${short(a.id)} `, tone: a.status === 'DELETED' ? 'dim' : 'plain' },
    { text: a.status, tone, width: 15 },
    { text: a.role, width: 11 },
    { text: `lb_network_ip ${a.lb_network_ip}`, width: 28 },
    { text: `vrrp_ip ${a.vrrp_ip} `, tone: 'dim' },
    ...(holders.includes(a.id) ? [{ text: `holds VIP ${a.ha_ip}`, tone: 'accent' as const }] : []),
  ];
}

function rows(s: LabService<OctaviaSpec>, facts: Facts): Row[] {
  const seen = factsOf(facts, s);
  const db = seen.db;
  const lb = s.spec.config.lb;
  if (!db)
    return [
      [
        { text: `${s.node}/${s.name}`, tone: 'bold' },
        { text: ' controller starting', tone: 'dim' },
      ],
    ];
  const status = db.loadbalancer.provisioning_status;
  return [
    [
      { text: `${s.node}/${s.name}`, tone: 'bold' },
      { text: ` loadbalancer ${short(lb.id)} ${lb.topology} VIP ${lb.vip} ` },
      { text: status, tone: status === 'ACTIVE' ? 'good' : 'warn' },
      { text: ` heartbeats ${db.heartbeats.received}`, tone: 'dim' },
      ...(db.heartbeats.dropped ? [{ text: ` (${db.heartbeats.dropped} dropped: bad signature)`, tone: 'bad' as const }] : []),
      ...(db.heartbeats.ignored ? [{ text: ` (${db.heartbeats.ignored} ignored: no listener)`, tone: 'warn' as const }] : []),
      ...(db.failovers.length ? [{ text: ` failovers ${db.failovers.filter((f) => f.doneAt).length}/${db.failovers.length}`, tone: 'warn' as const }] : []),
    ],
    ...db.amphorae.map((a) => amphoraRow(a, seen.vipHolders)),
  ];
}

export const octavia = serviceKind<OctaviaSpec, z.infer<typeof Block>>({
  kind: 'octavia',
  schema: Block,
  example: `name: octavia
kind: octavia
topology: SINGLE
loadbalancer:
  id: 38307452-d6bd-488b-af29-3032fff65fe1
  vip_address: 10.0.0.11
  vip_port_id: d2c26a5d-51b9-4487-bd16-5438218ad8ee
  network: private
  subnet_cidr: 10.0.0.0/24
  gateway: 10.0.0.1
listener: { id: 816339a8-2e17-4b61-8825-c6856d7b7f2e, protocol_port: 80 }
pool:
  id: 6b1c7b4e-1f7e-4f0a-9a43-2d5c0e0f4b11
  members: [{ id: 0f6a5f38-4d3c-4b9e-8d2a-1c3b5e7f9a01, address: 10.0.0.3, protocol_port: 80 }]
management: { network: lb-mgmt-net, addresses: [192.168.0.10, 192.168.0.11] }
vrrp_ports: [{ id: fbdca2b6-03c6-4775-b72c-340d55be0aa3, address: 10.0.0.12, mac: "fa:16:3e:eb:ad:76" }]`,
  tools: [],
  resolve(b, ctx) {
    const own = ctx.node.ports.find((p) => p.network === b.management.network);
    if (!own) ctx.report(['management', 'network'], `${ctx.node.name} has no port on ${b.management.network}: the health manager listens there`);
    const needed = b.topology === 'SINGLE' ? 1 : 2;
    if (b.vrrp_ports.length < needed) ctx.report(['vrrp_ports'], `${b.topology} needs ${needed} VRRP ports, one per amphora`);
    else if (b.failover_order === 'build-first' && b.vrrp_ports.length < needed + 1)
      ctx.report(['vrrp_ports'], `build-first failover needs a spare VRRP port for the replacement: list ${needed + 1}`);
    if (b.management.addresses.length < needed + 1)
      ctx.report(['management', 'addresses'], `${needed} amphorae and a replacement need at least ${needed + 1} addresses`);
    b.management.addresses.forEach((a, i) => {
      if (own && a === own.address) ctx.report(['management', 'addresses', i], `${a} is the controller's own address`);
    });
    for (const [i, p] of b.vrrp_ports.entries()) {
      if (!contains(b.loadbalancer.subnet_cidr, p.address)) ctx.report(['vrrp_ports', i, 'address'], `${p.address} is outside ${b.loadbalancer.subnet_cidr}`);
    }
    if (!contains(b.loadbalancer.subnet_cidr, b.loadbalancer.vip_address))
      ctx.report(['loadbalancer', 'vip_address'], `${b.loadbalancer.vip_address} is outside ${b.loadbalancer.subnet_cidr}`);
    if (b.vrrp_security_group && !ctx.groupNames.includes(b.vrrp_security_group))
      ctx.report(['vrrp_security_group'], ctx.unknown('security group', b.vrrp_security_group, ctx.groupNames));
    const dir = ctx.node.dir;
    const config: ControllerConfig = {
      self: `${ctx.node.name}/${b.name}`,
      lb: {
        id: b.loadbalancer.id,
        topology: b.topology,
        vip: b.loadbalancer.vip_address,
        vipPrefix: Number(b.loadbalancer.subnet_cidr.split('/')[1]),
        listener: { id: b.listener.id, protocolPort: b.listener.protocol_port, protocol: b.listener.protocol, connectionLimit: b.listener.connection_limit },
        pool: {
          id: b.pool.id,
          algorithm: b.pool.lb_algorithm,
          monitor: {
            delay: b.pool.health_monitor.delay,
            timeout: b.pool.health_monitor.timeout,
            maxRetries: b.pool.health_monitor.max_retries,
            rise: b.pool.health_monitor.rise,
          },
          members: b.pool.members.map((m) => ({ id: m.id, address: m.address, protocolPort: m.protocol_port })),
        },
        vrrp: {
          advertInt: b.vrrp.advert_int,
          checkInterval: b.vrrp.check_interval,
          checkFall: b.vrrp.check_fall,
          checkRise: b.vrrp.check_rise,
          authPass: b.loadbalancer.id.replaceAll('-', '').slice(0, 7),
        },
      },
      bind: `${own?.address ?? '0.0.0.0'}:5555`,
      api: `${own?.address ?? '0.0.0.0'}:9876`,
      bootDelayMs: b.amphora_boot_ms,
      heartbeatKey: b.heartbeat.key,
      heartbeatIntervalMs: b.heartbeat.interval_ms,
      heartbeatTimeoutMs: b.heartbeat.timeout_ms,
      healthCheckIntervalMs: b.heartbeat.check_interval_ms,
      agentPort: b.agent.port,
      apiPrefix: b.agent.api_prefix,
      // The lab's API socket, in the lab's dir (the node's dir is <lab>/nodes/<node>).
      labApi: join(dirname(dirname(dir)), 'lab-api.sock'),
      keyFile: labKeyPath(dirname(dirname(dir))),
      db: join(dir, `${b.name}.db.json`),
      preempt: b.replacement_preempts,
      failoverOrder: b.failover_order,
      management: { network: b.management.network, prefix: own?.prefix ?? 24, addresses: b.management.addresses },
      amphorae: b.amphorae.map((a) => ({ id: a.id, computeId: a.compute_id, mgmtPortId: a.mgmt_port_id, mgmtMac: a.mgmt_mac })),
      vip: {
        address: b.loadbalancer.vip_address,
        portId: b.loadbalancer.vip_port_id,
        network: b.loadbalancer.network,
        cidr: b.loadbalancer.subnet_cidr,
        gateway: b.loadbalancer.gateway,
      },
      vrrpPorts: b.vrrp_ports.map((p) => ({ id: p.id, address: p.address, mac: p.mac })),
      vrrpSecurityGroup: b.vrrp_security_group,
    };
    return { config, configFile: join(dir, `${b.name}.json`) };
  },
  describe: (s) =>
    `Octavia controller: loadbalancer ${short(s.spec.config.lb.id)} (${s.spec.config.lb.topology}), VIP ${s.spec.config.lb.vip}, health manager on ${s.spec.config.bind}`,
  start: (s) => [
    { kind: 'write', path: s.spec.configFile, content: `${JSON.stringify(s.spec.config, null, 1)}\n` },
    startKindAgent(s, 'octavia', ['--config', s.spec.configFile]),
  ],
  observer,
  rows,
  panel: () => 'Octavia: amphora table',
  labels: (s) => [{ address: s.spec.config.lb.vip, label: 'VIP (amphorae)' }],
  movesAddresses: true,
  controlPlane: true,
  unsettled(s, facts) {
    const seen = factsOf(facts, s);
    const status = seen.db?.loadbalancer.provisioning_status ?? 'not started';
    if (status !== 'ACTIVE') return `${s.node}/${s.name}: loadbalancer ${status}${seen.db?.loadbalancer.error ? ` (${seen.db.loadbalancer.error})` : ''}`;
    if (seen.vipHolders.length !== 1) return `${s.node}/${s.name}: VIP held by ${seen.vipHolders.length} amphorae`;
    return undefined;
  },
  waits: [loadbalancerWait],
});
