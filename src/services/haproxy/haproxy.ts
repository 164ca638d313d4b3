// An LBaaS load balancer: haproxy in the qlbaas namespace with a stats socket, configured as
// Neutron's haproxy namespace driver does; its members' state is read from the socket.
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { ConfigId, Ipv4, Name, NsName, Positive, UnixName } from '../../kinds/fields.js';
import { serviceKind, type PoolChanges } from '../../kinds/service-kind.js';
import type { Report } from '../../kinds/path.js';
import type { LabService } from '../../model.js';
import type { Op } from '../../kinds/ops.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';
import { haproxyFacts, haproxyObserver, haproxyRows, haproxyUnsettled } from './observe.js';
import { renderHaproxyConf } from './render.js';

export interface HaproxyMember {
  id: string;
  node: string;
  address: string;
  port: number;
  weight: number;
}

/** A listener (haproxy's frontend) and its pool (its backend). */
export interface HaproxyFrontend {
  listener: { id: string; address: string; port: number; protocol: 'HTTP' | 'TCP'; connectionLimit: number };
  pool: {
    id: string;
    lbMethod: 'ROUND_ROBIN' | 'LEAST_CONNECTIONS' | 'SOURCE_IP';
    monitor: { type: 'TCP' | 'HTTP'; delay: number; timeout: number; maxRetries: number; rise: number; urlPath: string };
    members: HaproxyMember[];
  };
}

export interface HaproxySpec {
  /** Which LBaaS made it: v1, one VIP with one port and one pool; v2, a load balancer whose
   *  one VIP carries several listeners, each with its own pool (seed 000). */
  generation: 'v1' | 'v2';
  config: string;
  /** A second socket, operator level, from which lablb reads haproxy's log ring. */
  eventsSocket: string;
  /** The port holding the VIP, announced by gratuitous ARP as Neutron does once it is plugged;
   *  none when the VIP is one a VRRP daemon moves (it announces it itself). */
  vipDevice?: string;
  statsSocket: string;
  user: string;
  group: string;
  frontends: HaproxyFrontend[];
}

// haproxy's timers end at about 24 days; an hour is more than any lab waits.
const Seconds = Positive.max(3600, { error: 'at most 3600 seconds' });

const Port = z.int({ error: 'a TCP/UDP port number' }).min(1).max(65535);

const HealthMonitor = z
  .strictObject({
    type: z.enum(['TCP', 'HTTP']).default('TCP').describe('TCP: connect; HTTP: GET url_path, expect 200'),
    delay: Seconds.describe('seconds between checks (haproxy inter)'),
    timeout: Seconds.describe('seconds a check may take (timeout check)'),
    max_retries: z.int().min(1).max(10).describe('failed checks before a member is DOWN (fall)'),
    rise: z.int().min(1).max(10).default(2).describe('good checks before a DOWN member is UP again'),
    url_path: z
      .string()
      .regex(/^\/[A-Za-z0-9._~%/=&?+-]{0,200}$/, { error: 'a URL path such as /health (letters, digits and ._~%/=&?+-)' })
      .default('/')
      .describe('HTTP checks only'),
  })
  .describe("The pool's health monitor, as Neutron LBaaS defines it");

const Member = z
  .strictObject({
    id: ConfigId.describe("the member's id: haproxy's server name"),
    node: NsName.describe('the node that hosts it; steps and screens say "vm2", not the id'),
    address: Ipv4,
    protocol_port: Port,
    weight: z.int().min(0).max(256).default(1),
  })
  .describe('A pool member');

const listenerFields = {
  id: ConfigId.describe("haproxy's frontend name"),
  address: Ipv4.describe("the VIP: one of the node's addresses"),
  protocol_port: Port,
  protocol: z.enum(['HTTP', 'TCP']).default('HTTP'),
  connection_limit: z.int().positive().default(100),
};

const Pool = z
  .strictObject({
    id: ConfigId.describe("haproxy's backend name"),
    lb_method: z.enum(['ROUND_ROBIN', 'LEAST_CONNECTIONS', 'SOURCE_IP']).default('ROUND_ROBIN'),
    health_monitor: HealthMonitor,
    members: z.array(Member).min(1).max(256),
  })
  .describe("The pool: haproxy's backend");

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('haproxy'),
    generation: z
      .enum(['v1', 'v2'])
      .default('v2')
      .describe('v1: one VIP, one port, one pool (a second port needs a second VIP); v2: one VIP, several listeners'),
    user: UnixName.default('haproxy').describe('the user haproxy drops to'),
    group: UnixName.default('haproxy'),
    listener: z.strictObject(listenerFields).optional().describe("The listener: haproxy's frontend (with pool:)"),
    pool: Pool.optional(),
    listeners: z
      .array(z.strictObject({ ...listenerFields, pool: Pool }).describe('A listener with its own pool'))
      .min(1)
      .max(32)
      .optional()
      .describe("LBaaS v2: several listeners on the load balancer's one VIP, each with its pool (instead of listener: and pool:)"),
  })
  .describe("An LBaaS load balancer: haproxy with a stats socket, configured as Neutron's haproxy driver does");

/** `arping -U -I tap04 -c 3 10.0.0.100`, in the background: it takes two seconds. */
function gratuitousArp(s: LabService<HaproxySpec>, dev: string): Op {
  const token = `${s.token}/arping`;
  return {
    kind: 'spawn',
    argv: netns.exec(s.node, ['arping', '-U', '-I', dev, '-c', '3', s.spec.frontends[0].listener.address]),
    env: { [TOKEN_VAR]: token },
    logfile: join(dirname(s.pidfile), `${s.name}.arping.log`),
    creates: [{ kind: 'process', name: `${s.node}/${s.name}/arping`, token }],
  };
}

const toMember = (m: z.infer<typeof Member>): HaproxyMember => ({ id: m.id, node: m.node, address: m.address, port: m.protocol_port, weight: m.weight });

/** The frontend whose pool is `pool`, or the only one; undefined (reported) otherwise. */
function poolOf(spec: HaproxySpec, pool: string | undefined, report: Report): HaproxyFrontend | undefined {
  if (pool === undefined && spec.frontends.length > 1) {
    report(['pool'], `the load balancer has ${spec.frontends.length} pools: name one (${spec.frontends.map((f) => f.pool.id).join(', ')})`);
    return undefined;
  }
  const f = pool === undefined ? spec.frontends[0] : spec.frontends.find((x) => x.pool.id === pool);
  if (!f) report(['pool'], `no pool ${JSON.stringify(pool)}; its pools: ${spec.frontends.map((x) => x.pool.id).join(', ')}`);
  return f;
}

/** The spec with one pool's members replaced. */
const withMembers = (spec: HaproxySpec, f: HaproxyFrontend, members: HaproxyMember[]): HaproxySpec => ({
  ...spec,
  frontends: spec.frontends.map((x) => (x === f ? { ...x, pool: { ...x.pool, members } } : x)),
});

/** Neutron's namespace driver: the config rendered again, a new haproxy started with -sf, so
 *  the old one stops listening and finishes its connections while the new one serves. */
const poolChanges: PoolChanges<HaproxySpec> = {
  member: Member,
  add(spec, block, pool, { nodeNames, report }) {
    const m = toMember(Member.parse(block));
    const f = poolOf(spec, pool, report);
    if (!nodeNames.includes(m.node)) report(['member', 'node'], `no node named ${JSON.stringify(m.node)} at this step; known: ${nodeNames.join(', ')}`);
    if (spec.frontends.some((x) => x.pool.members.some((y) => y.id === m.id))) report(['member', 'id'], `member ${m.id} is already in the load balancer`);
    return f ? withMembers(spec, f, [...f.pool.members, m]) : spec;
  },
  remove(spec, who, pool, report) {
    const f = poolOf(spec, pool, report);
    if (!f) return spec;
    const gone = f.pool.members.filter((m) => m.id === who || m.node === who);
    if (gone.length !== 1) {
      report(
        ['member'],
        gone.length
          ? `${who} hosts several members of ${f.pool.id}: name one by its id`
          : `${f.pool.id} has no member ${JSON.stringify(who)}; its members: ${f.pool.members.map((m) => m.node).join(', ')}`,
      );
      return spec;
    }
    return withMembers(
      spec,
      f,
      f.pool.members.filter((m) => m !== gone[0]),
    );
  },
  reload: (s, running) => [
    { kind: 'write', path: s.spec.config, content: renderHaproxyConf(s) },
    {
      kind: 'run',
      argv: netns.exec(s.node, ['haproxy', '-f', s.spec.config, '-p', s.pidfile, ...(running.length ? ['-sf', ...running] : [])]),
      env: { [TOKEN_VAR]: s.token },
      creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }],
    },
  ],
};

export const haproxy = serviceKind<HaproxySpec, z.infer<typeof Block>>({
  kind: 'haproxy',
  schema: Block,
  example: `name: lb
kind: haproxy
listener: { id: listener-1, address: 10.0.0.100, protocol_port: 80 }
pool:
  id: pool-1
  health_monitor: { delay: 1, timeout: 5, max_retries: 3 }
  members:
    - { id: member-1, node: vm1, address: 10.0.0.81, protocol_port: 80 }`,
  tools: [
    { command: 'haproxy', pkg: 'haproxy', versionArgs: ['-v'], why: 'load balancers' },
    // iputils' arping: the article's and Neutron's `arping -U -I <dev>` (the other Debian arping takes -i).
    { command: 'arping', pkg: 'iputils-arping', versionArgs: ['-V'], why: "gratuitous ARP for a load balancer's VIP, as Neutron sends" },
  ],

  resolve(b, ctx) {
    const single = b.listener && b.pool ? [{ ...b.listener, pool: b.pool }] : [];
    if ((b.listeners === undefined) === (single.length === 0)) ctx.report([], 'give listener: with pool:, or listeners: (each with its pool:)');
    if (!b.listeners && (b.listener === undefined) !== (b.pool === undefined))
      ctx.report([b.listener ? 'pool' : 'listener'], 'listener: and pool: go together');
    const listeners = b.listeners ?? single;
    const at = (li: number, ...rest: (string | number)[]) => (b.listeners ? ['listeners', li, ...rest] : rest[0] === 'pool' ? rest : ['listener', ...rest]);
    if (b.generation === 'v1' && listeners.length > 1) {
      ctx.report(
        ['listeners', 1],
        'LBaaS v1 has one VIP, one port and one pool: a second port needs a second VIP (another haproxy service); LBaaS v2 carries several listeners on one VIP',
      );
    }
    listeners.forEach((l, li) => {
      if (li > 0 && l.address !== listeners[0].address)
        ctx.report(at(li, 'address'), `a load balancer has one VIP (${listeners[0].address}); its listeners differ only in protocol_port`);
      if (listeners.slice(0, li).some((x) => x.protocol_port === l.protocol_port))
        ctx.report(at(li, 'protocol_port'), `port ${l.protocol_port} already has a listener`);
    });
    const seen = new Set<string>();
    listeners.forEach((l, li) =>
      l.pool.members.forEach((m, mi) => {
        if (!ctx.nodeNames.includes(m.node)) ctx.report(at(li, 'pool', 'members', mi, 'node'), ctx.unknown('node', m.node, ctx.nodeNames));
        if (seen.has(m.id)) ctx.report(at(li, 'pool', 'members', mi, 'id'), `member ${m.id} is listed twice`);
        seen.add(m.id);
      }),
    );
    const address = listeners[0]?.address ?? '';
    return {
      generation: b.generation,
      // Neutron's LBaaS v2 layout: haproxy.conf and haproxy_stats.sock beside the pid file.
      config: join(ctx.node.dir, 'haproxy.conf'),
      vipDevice: ctx.node.ports.find((p) => p.address === address)?.name,
      statsSocket: join(ctx.node.dir, 'haproxy_stats.sock'),
      eventsSocket: join(ctx.node.dir, 'haproxy_events.sock'),
      user: b.user,
      group: b.group,
      frontends: listeners.map((l) => {
        const hm = l.pool.health_monitor;
        return {
          listener: { id: l.id, address: l.address, port: l.protocol_port, protocol: l.protocol, connectionLimit: l.connection_limit },
          pool: {
            id: l.pool.id,
            lbMethod: l.pool.lb_method,
            monitor: { type: hm.type, delay: hm.delay, timeout: hm.timeout, maxRetries: hm.max_retries, rise: hm.rise, urlPath: hm.url_path },
            members: l.pool.members.map(toMember),
          },
        };
      }),
    };
  },
  binds: (spec) =>
    spec.frontends.map((f, i) => ({ address: f.listener.address, path: spec.frontends.length > 1 ? ['listeners', i, 'address'] : ['listener', 'address'] })),
  // One load balancer per namespace, as Neutron runs them: its files are named for it.
  checkLab(mine, report) {
    const seen = new Set<string>();
    for (const { node, at } of mine) {
      if (seen.has(node.name)) report([...at, 'kind'], `${node.name} already runs a load balancer: one haproxy per namespace (give each its own qlbaas node)`);
      seen.add(node.name);
    }
  },
  members: (spec) => spec.frontends.flatMap((f) => f.pool.members),
  pools: poolChanges,
  // A member still starting would be marked DOWN on haproxy's first check.
  startsAfterNodes: (spec) => [...new Set(spec.frontends.flatMap((f) => f.pool.members.map((m) => m.node)))],

  describe: (s) =>
    `haproxy (LBaaS ${s.spec.generation}) on ${s.spec.frontends.map((f) => `${f.listener.address}:${f.listener.port} over ${f.pool.members.map((m) => m.node).join(', ')}`).join('; ')}`,
  start: (s) => [
    ...(s.spec.vipDevice ? [gratuitousArp(s, s.spec.vipDevice)] : []),
    { kind: 'write', path: s.spec.config, content: renderHaproxyConf(s) },
    {
      kind: 'run',
      argv: netns.exec(s.node, ['haproxy', '-f', s.spec.config, '-p', s.pidfile]),
      env: { [TOKEN_VAR]: s.token },
      creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }],
    },
    { kind: 'wait-path', path: s.spec.statsSocket, timeoutMs: 5000, what: 'haproxy stats socket' },
  ],

  observer: haproxyObserver,
  rows: haproxyRows,
  memberStatus: (s, facts, member) => haproxyFacts(facts, s)[member]?.status,
  memberBound(s, member, state) {
    const m = s.spec.frontends.find((f) => f.pool.members.some((x) => x.id === member))?.pool.monitor;
    if (!m) return undefined;
    // A check every inter (the health monitor's delay); fall failed ones mark it DOWN, rise good
    // ones UP; the last may take up to its timeout.
    const checks = state === 'DOWN' ? { n: m.maxRetries, name: 'fall' } : { n: m.rise, name: 'rise' };
    return {
      ms: Math.round((checks.n * m.delay + m.timeout) * 1000),
      why: `haproxy: ${checks.name} ${checks.n} x inter ${m.delay} s + timeout check ${m.timeout} s`,
    };
  },
  labels: (s) => [{ address: s.spec.frontends[0].listener.address, label: `VIP ${s.name}` }],
  unsettled: haproxyUnsettled,
});
