// keepalived: VRRP instances that move VIPs between nodes (Neutron L3 HA, seed 003's VIP).
// Its state is read from its own log ("(VR_1) Entering MASTER STATE"): no process per poll.
import { join } from 'node:path';
import { z } from 'zod';
import { Cidr, IfName, Ipv4, Name } from '../../kinds/fields.js';
import { serviceKind, type VrrpHooks } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { contains } from '../../net/addr.js';
import type { Op } from '../../kinds/ops.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';
import { keepalivedObserver, keepalivedRows, keepalivedUnsettled, vrrpState } from './observe.js';
import { notifyScript, renderCheckScript, renderKeepalivedConf, renderNotifyScript } from './render.js';
import { masterDownBound, vrrpWait } from './vrrp-wait.js';

/** Neutron's VR_ID_RANGE, range(1, 255): an HA network's ids, one per HA router (pitfall 5). */
const VRIDS_PER_HA_NETWORK = 254;

export interface VrrpInstance {
  name: string;
  interface: string;
  network: string;
  vrid: number;
  priority: number;
  state: 'BACKUP' | 'MASTER';
  advertInt: number;
  /** VRRP's version: 2, keepalived's default (and Neutron's), or 3. */
  version: 2 | 3;
  nopreempt: boolean;
  /** Seconds after becoming MASTER before a second round of gratuitous ARPs (Neutron: 60). */
  garpDelay?: number;
  /** Seconds between gratuitous ARPs while MASTER (keepalived's garp_master_refresh). */
  garpRefresh?: number;
  vips: { address: string; prefix: number }[];
  /** Addresses it moves without advertising them (Neutron's qr/qg addresses, floating IPs). */
  excluded: { address: string; prefix: number; dev: string }[];
  /** Routes it adds as MASTER (Neutron's default route via the gateway port). */
  routes: { to: string; via: string; dev: string }[];
  /** Interfaces whose loss puts the instance in FAULT. */
  track: string[];
  /** A state file its notify script writes master, backup or fault into (seed 002's notify_*). */
  stateFile?: string;
  /** Neutron's ha_vrrp_health_check_interval: a script the MASTER runs every intervalS seconds
   *  pings the default route's gateways; two failures in a row and the instance goes FAULT. */
  healthCheck?: { intervalS: number; script: string; gateways: string[] };
}

export interface KeepalivedSpec {
  config: string;
  vrrpPidfile: string;
  /** Seconds keepalived waits before its instances start (vrrp_startup_delay). */
  startupDelay?: number;
  instances: VrrpInstance[];
}

/** How long a BACKUP waits without adverts before it becomes MASTER, in ms: RFC 3768's
 *  Master_Down_Interval, 3 x advert_int + skew. VRRPv2 (keepalived's default) has a skew of
 *  (256 - priority) / 256 seconds; VRRPv3 (RFC 5798) scales it by the advert interval. */
export function masterDownMs(i: Pick<VrrpInstance, 'advertInt' | 'priority' | 'version'>): number {
  const skew = ((256 - i.priority) / 256) * (i.version === 3 ? i.advertInt : 1);
  return Math.round((3 * i.advertInt + skew) * 1000);
}

/** "10.0.0.1" or "169.254.0.1/24". */
const AddressMaybePrefix = z
  .union([Ipv4, z.cidrv4()], { error: 'an IPv4 address, or address/prefix such as 169.254.0.1/24' })
  .meta({ title: 'IPv4 address or address/prefix' });

/** Splits "a.b.c.d/p"; without a prefix, the one given. */
function withPrefix(text: string, prefix: number): { address: string; prefix: number } {
  const [address, p] = text.split('/');
  return { address, prefix: p === undefined ? prefix : Number(p) };
}

const Instance = z
  .strictObject({
    name: Name.describe('the instance name (VR_1); instances of one name on several nodes form one VRRP group'),
    interface: IfName.describe("one of the node's ports; VRRP adverts go out on it"),
    virtual_router_id: z
      .int({ error: 'a VRRP virtual_router_id' })
      .min(1, { error: 'a virtual_router_id from 1 to 255' })
      .max(255, { error: 'a virtual_router_id from 1 to 255' })
      .describe('the same for a group; unique among groups on one network'),
    priority: z.int().min(1, { error: 'a priority from 1 to 254' }).max(254, { error: 'a priority from 1 to 254' }).describe('the highest becomes MASTER'),
    state: z.enum(['BACKUP', 'MASTER']).default('BACKUP').describe('the state it starts in (Neutron starts every node as BACKUP)'),
    advert_int: z
      .number({ error: 'a number of seconds' })
      .min(0.01, { error: 'a number of seconds from 0.01 to 255' })
      .max(255, { error: 'a number of seconds from 0.01 to 255' })
      .default(1)
      .describe('seconds between adverts; a BACKUP takes over after about 3 missed'),
    version: z
      .literal([2, 3], { error: 'VRRP version 2 or 3' })
      .default(2)
      .describe("VRRP's version: 2 is keepalived's default and Neutron's; it sets the skew in the master-down interval"),
    nopreempt: z.boolean().default(false).describe('a recovered higher-priority node does not take the VIP back'),
    garp_master_delay: z
      .int()
      .min(0)
      .max(3600)
      .optional()
      .describe("seconds after becoming MASTER before a second round of gratuitous ARPs (keepalived's default 5; Neutron's L3 HA sets 60)"),
    garp_master_refresh: z
      .int()
      .min(1)
      .max(3600)
      .optional()
      .describe('seconds between gratuitous ARPs for the VIPs while MASTER (default: only on becoming MASTER)'),
    virtual_ipaddress: z
      .array(AddressMaybePrefix)
      .min(1)
      .max(64)
      .describe("the VIPs: an address on the interface's network, or address/prefix anywhere (Neutron's 169.254.0.<vrid>/24 on ha-)"),
    virtual_ipaddress_excluded: z
      .array(
        z.strictObject({
          address: AddressMaybePrefix.describe("an address, with /prefix or taking its interface's"),
          interface: IfName.describe("one of the node's ports"),
        }),
      )
      .max(1024)
      .default([])
      .describe("addresses moved with the VIPs but not advertised: the router's qr/qg addresses and floating IPs"),
    virtual_routes: z
      .array(
        z.strictObject({
          to: z.union([z.literal('default'), Cidr]),
          via: Ipv4,
          interface: IfName,
        }),
      )
      .max(64)
      .default([])
      .describe("routes the MASTER adds (Neutron's default route via the gateway)"),
    track_interface: z.array(IfName).max(16).default([]).describe('ports whose loss puts the instance in FAULT'),
    health_check_interval: z
      .int()
      .min(0)
      .max(3600)
      .default(0)
      .describe(
        "Neutron's ha_vrrp_health_check_interval (0, its default: off): every N s the MASTER pings its default route's gateway; two failures and it goes FAULT, giving the router up",
      ),
    notify_state: z
      .boolean()
      .default(false)
      .describe("a notify script writes master, backup or fault into <instance>.state in the node's dir, as seed 002's notify_master/_backup/_fault do"),
  })
  .describe('A VRRP instance');

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('keepalived'),
    startup_delay: z
      .number()
      .min(0.001)
      .max(60)
      .optional()
      .describe(
        'seconds keepalived waits before its instances start (vrrp_startup_delay; keepalived takes 0.001 to 4294, three decimals); a stand-in for an agent that picks the router up later',
      ),
    instances: z.array(Instance).min(1).max(32),
  })
  .describe('keepalived: VRRP instances that move VIPs between nodes');

/** Whether its instances call the notify script: for a state file, or for other kinds' hooks. */
const notifies = (s: LabService<KeepalivedSpec>, hooks: VrrpHooks) =>
  s.spec.instances.some((i) => i.stateFile) || hooks.master.length + hooks.backup.length > 0;

export const keepalived = serviceKind<KeepalivedSpec, z.infer<typeof Block>>({
  kind: 'keepalived',
  schema: Block,
  talksAtStart: true,
  example: `name: vrrp
kind: keepalived
instances:
  - { name: VR_1, interface: eth0, virtual_router_id: 51, priority: 100, virtual_ipaddress: [10.0.0.200] }`,
  tools: [
    { command: 'keepalived', pkg: 'keepalived', versionArgs: ['--version'], why: 'VRRP: VIPs that move between nodes' },
    { command: 'ping', pkg: 'iputils-ping', versionArgs: ['-V'], why: "Neutron's health check pings the router's gateway" },
  ],

  resolve(b, ctx) {
    const names = new Set<string>();
    return {
      config: join(ctx.node.dir, `${b.name}.conf`),
      vrrpPidfile: join(ctx.node.dir, `${b.name}.vrrp.pid`),
      ...(b.startup_delay !== undefined ? { startupDelay: b.startup_delay } : {}),
      instances: b.instances.map((inst, ii) => {
        if (names.has(inst.name)) ctx.report(['instances', ii, 'name'], `instance ${inst.name} is defined twice in ${b.name}`);
        names.add(inst.name);
        const port = ctx.port(inst.interface, ['instances', ii, 'interface']);
        inst.virtual_ipaddress.forEach((vip, vi) => {
          if (!vip.includes('/') && port?.broadcast && !contains(`${port.address}/${port.prefix}`, vip)) {
            ctx.report(
              ['instances', ii, 'virtual_ipaddress', vi],
              `${vip} is not on ${port.network} (${inst.interface}'s network); give a /prefix for an address off it`,
            );
          }
        });
        const portOf = (name: string, path: (string | number)[]) => {
          const p = ctx.node.ports.find((x) => x.name === name);
          if (!p)
            ctx.report(
              path,
              ctx.unknown(
                'port',
                name,
                ctx.node.ports.map((x) => x.name),
              ),
            );
          return p;
        };
        inst.track_interface.forEach((t, ti) => portOf(t, ['instances', ii, 'track_interface', ti]));
        const routes = inst.virtual_routes.map((r, ri) => {
          portOf(r.interface, ['instances', ii, 'virtual_routes', ri, 'interface']);
          return { to: r.to === 'default' ? '0.0.0.0/0' : r.to, via: r.via, dev: r.interface };
        });
        /** Neutron's check pings the gateway of each default route the instance adds. */
        const healthCheck = () => {
          const gateways = routes.filter((r) => r.to === '0.0.0.0/0').map((r) => r.via);
          if (!gateways.length)
            ctx.report(['instances', ii, 'health_check_interval'], "the health check pings the default route's gateway: add one to virtual_routes");
          return { intervalS: inst.health_check_interval, script: join(ctx.node.dir, `${b.name}.ha_check_script_${inst.virtual_router_id}.sh`), gateways };
        };
        return {
          name: inst.name,
          interface: inst.interface,
          network: port?.network ?? '',
          vrid: inst.virtual_router_id,
          priority: inst.priority,
          state: inst.state,
          advertInt: inst.advert_int,
          version: inst.version,
          nopreempt: inst.nopreempt,
          ...(inst.garp_master_delay !== undefined ? { garpDelay: inst.garp_master_delay } : {}),
          ...(inst.garp_master_refresh ? { garpRefresh: inst.garp_master_refresh } : {}),
          vips: inst.virtual_ipaddress.map((a) => withPrefix(a, port?.prefix ?? 32)),
          excluded: inst.virtual_ipaddress_excluded.map((x, xi) => ({
            ...withPrefix(x.address, portOf(x.interface, ['instances', ii, 'virtual_ipaddress_excluded', xi, 'interface'])?.prefix ?? 32),
            dev: x.interface,
          })),
          routes,
          track: inst.track_interface,
          stateFile: inst.notify_state ? join(ctx.node.dir, `${inst.name}.state`) : undefined,
          ...(inst.health_check_interval ? { healthCheck: healthCheck() } : {}),
        };
      }),
    };
  },
  claims: (spec) => spec.instances.flatMap((i) => [...i.vips, ...i.excluded].map((v) => v.address)),
  // It takes an address when the instance moving it becomes MASTER.
  claimBound: (s, address) => {
    const inst = s.spec.instances.find((i) => [...i.vips, ...i.excluded].some((v) => v.address === address));
    return inst && masterDownBound(inst);
  },
  // As Neutron's HA routers: services on the node may bind a VIP before keepalived holds it.
  sysctls: () => [['net.ipv4.ip_nonlocal_bind', '1']],
  /** One VRRP group (an instance name on one network) has one virtual_router_id; two groups
   *  on one network must not share one, or their adverts collide; an HA network has 254. */
  checkLab(services, report) {
    const groups = new Map<string, { vrid: number; where: string }>();
    const onNetwork = new Map<string, number>();
    for (const { service, node, at } of services) {
      service.spec.instances.forEach((inst, ii) => {
        if (!inst.network) return;
        const path = [...at, 'instances', ii, 'virtual_router_id'];
        const key = `${inst.network}/${inst.name}`;
        const group = groups.get(key);
        if (group && group.vrid !== inst.vrid) {
          report(path, `${inst.name} has virtual_router_id ${group.vrid} on ${group.where}; one group, one id`);
          return;
        }
        const clash = [...groups.entries()].find(([k, g]) => k.startsWith(`${inst.network}/`) && k !== key && g.vrid === inst.vrid);
        if (clash) report(path, `virtual_router_id ${inst.vrid} is already used on ${inst.network} by ${clash[0].split('/')[1]} (${clash[1].where})`);
        if (group) return;
        groups.set(key, { vrid: inst.vrid, where: node.name });
        const count = (onNetwork.get(inst.network) ?? 0) + 1;
        onNetwork.set(inst.network, count);
        if (count === VRIDS_PER_HA_NETWORK + 1)
          report(
            path,
            `${inst.name} is the ${count}th VRRP group on ${inst.network}: Neutron gives an HA network the virtual_router_ids 1 to ${VRIDS_PER_HA_NETWORK}, so a project's ${count}th HA router fails with NoVRIDAvailable ("The limit of number of HA Routers per tenant is ${VRIDS_PER_HA_NETWORK}"); put the routers of more than ${VRIDS_PER_HA_NETWORK} on a second HA network`,
          );
      });
    }
  },

  vrrpStates: (s, facts) => s.spec.instances.map((i) => ({ group: `${i.network ?? i.interface}/${i.name}`, state: vrrpState(facts, s, i.name) })),

  describe: (s) =>
    `keepalived: ${s.spec.instances.map((i) => `${i.name} (id ${i.vrid}, priority ${i.priority}, VIP ${i.vips.map((v) => v.address).join(' ')})`).join(', ')}`,
  start: (s, ctx) => [
    ...(notifies(s, ctx.vrrpHooks) ? [{ kind: 'write', path: notifyScript(s), content: renderNotifyScript(ctx.vrrpHooks), mode: 0o700 } as Op] : []),
    ...s.spec.instances.flatMap((i): Op[] =>
      i.healthCheck ? [{ kind: 'write', path: i.healthCheck.script, content: renderCheckScript(i), mode: 0o700 }] : [],
    ),
    { kind: 'write', path: s.spec.config, content: renderKeepalivedConf(s, notifies(s, ctx.vrrpHooks)) },
    {
      kind: 'daemon',
      // --vrrp: the VRRP part only; its log (state changes) is what the observer reads.
      argv: netns.exec(s.node, [
        'keepalived',
        '--dont-fork',
        '--log-console',
        '--vrrp',
        '--use-file',
        s.spec.config,
        '--pid',
        s.pidfile,
        '--vrrp_pid',
        s.spec.vrrpPidfile,
      ]),
      env: { [TOKEN_VAR]: s.token },
      ready: s.pidfile,
      logfile: s.logfile,
      creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }],
    },
  ],

  observer: keepalivedObserver,
  rows: keepalivedRows,
  unsettled: keepalivedUnsettled,
  waits: [vrrpWait],
});
