// A whole network node dies (seed 002's question: what happens to its routers?): every process
// of the nodes that stand for its agent is killed with SIGKILL, as a host losing power leaves
// them, and the step times each VRRP group's takeover by an instance on a surviving node: the
// distribution (p50, p95, max), and how many groups ended with no MASTER or with two.
import { z } from 'zod';
import { HostName, NsName, StepName } from '../kinds/fields.js';
import { stepKind, type StepContext, type StepResolveContext } from '../kinds/step-kind.js';
import { firstAnswers, floatingIpsOfNodes, repliesOver, type Watched } from './pings.js';
import { hostWires } from '../links/tunnels.js';
import { shellLine } from '../shell.js';
import type { Facts } from '../kinds/facts.js';
import type { Lab } from '../model.js';
import { serviceKindOf } from '../services/all.js';
import { percentile } from '../stats.js';
import { netns } from '../runtime/netns/netns.js';
import { resolveSessions, rowSessions, sessionFigures, sessionsSettled, type SessionsRef } from './sessions.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('agent-down'),
    nodes: z
      .string()
      .regex(/^[A-Za-z0-9_.*-]{1,64}$/, { error: 'a node name, * standing for any run of characters (qrouter-*-n1)' })
      .optional()
      .describe('the nodes of the agent that dies: a name, * standing for any run of characters'),
    host: HostName.optional().describe('or, in a lab of hosts, the host that dies: every node on it, and its wires to the others'),
    from: NsName.optional().describe(
      "a node that pings the dying routers' floating IPs (the outside): the step times each router's outage until its floating IPs answer again, and counts the replies the other routers' floating IPs (DVR's) missed",
    ),
    probe: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { error: 'a probe name' })
      .optional()
      .describe('a probe whose traffic must come back within within_ms: the step times its outage'),
    within_ms: z.int().min(100).max(600_000).default(30_000).describe('how long every VRRP group has to find a MASTER elsewhere'),
    sessions: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { error: 'a probe name' })
      .optional()
      .describe(
        "a sessions probe: each answer's row counts its floating IPs' TCP sessions lost, and when the others flowed again (waited for within within_ms)",
      ),
  })
  .describe(
    "Kill every process of an agent's nodes (SIGKILL) and time each VRRP group's takeover on the surviving nodes: p50, p95, max, and groups left with no MASTER or with two",
  );

interface Spec {
  /** The nodes that die: a name, * standing for any run of characters; or, */
  pattern?: string;
  from?: string;
  /** the host that dies, in a lab of hosts, with every node on it. */
  host?: string;
  probe?: string;
  withinMs: number;
  sessions?: SessionsRef;
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);

/** The floating IPs of the dying nodes' HA routers (their VRRP peers take them over). */
function haFloatingIps(lab: Lab, dead: Set<string>): string[] {
  return floatingIpsOfNodes(lab.nodes.filter((n) => dead.has(n.name) && n.services.some((s) => serviceKindOf(s.kind).vrrpStates)));
}

/** The floating IPs of the routers that live on: none of a dying node's (an HA router's other
 *  instance lists the same address). */
function floatingIpsElsewhere(lab: Lab, dead: Set<string>): string[] {
  const dying = new Set(floatingIpsOfNodes(lab.nodes.filter((n) => dead.has(n.name))));
  return floatingIpsOfNodes(lab.nodes.filter((n) => !dead.has(n.name))).filter((ip) => !dying.has(ip));
}

/** The floating IPs elsewhere as outage figures: the time their lost pings stand for (an
 *  interval each; 0 for one that never missed). */
function lostTime(ips: string[], { replies, count, intervalMs }: Watched) {
  const lost = ips.map((ip) => (count - (replies.get(ip)?.received ?? 0)) * intervalMs);
  return { p50_ms: percentile(lost, 50), p95_ms: percentile(lost, 95), max_ms: lost.length ? Math.max(...lost) : 0 };
}

/** How long the floating IPs elsewhere are watched at most: past any VRRP takeover. */
const WATCH_MS = 15_000;

function fromNode(b: { from?: string }, ctx: StepResolveContext): string | undefined {
  if (b.from !== undefined) ctx.node(b.from, ['from']);
  return b.from;
}

/** The nodes that die: a host's, by name, or those a pattern names. */
function dying(lab: Lab, spec: Spec): string[] {
  if (spec.host !== undefined) return lab.nodes.filter((n) => n.host === spec.host).map((n) => n.name);
  const re = globToRegExp(spec.pattern ?? '');
  return lab.nodes.filter((n) => re.test(n.name)).map((n) => n.name);
}

/** Each VRRP group's instances on the nodes that live on: their states now. */
function survivorStates(lab: Lab, facts: Facts, dead: Set<string>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const node of lab.nodes.filter((n) => !dead.has(n.name)))
    for (const s of node.services) for (const v of serviceKindOf(s.kind).vrrpStates?.(s, facts) ?? []) out.set(v.group, [...(out.get(v.group) ?? []), v.state]);
  return out;
}

/** The observers that know VRRP states (keepalived's). */
const vrrpKinds = (lab: Lab) => [...new Set(lab.nodes.flatMap((n) => n.services.filter((s) => serviceKindOf(s.kind).vrrpStates).map((s) => s.kind)))];

export const agentDown = stepKind<Spec, z.infer<typeof Block>>({
  kind: 'agent-down',
  schema: Block,
  example: '{ name: network-node-1-dies, kind: agent-down, nodes: "qrouter-*-n1" }',
  resolve(b, ctx) {
    const probe = b.probe === undefined ? undefined : ctx.probe(b.probe, ['probe']);
    const sessions = resolveSessions(b.sessions, ctx);
    if (b.host !== undefined) {
      if (b.nodes !== undefined) ctx.report(['nodes'], 'say nodes or host, not both');
      const hosts = ctx.lab.hosts?.list.map((h) => h.name) ?? [];
      if (!ctx.lab.hosts) ctx.report(['host'], 'host is for a lab of hosts; this one has none (say nodes)');
      else if (!hosts.includes(b.host)) ctx.report(['host'], ctx.unknown('host', b.host, hosts));
      return { host: b.host, from: fromNode(b, ctx), probe, withinMs: b.within_ms, sessions };
    }
    if (b.nodes === undefined) {
      ctx.report([], 'say which nodes die (nodes: "qrouter-*-n1") or, in a lab of hosts, which host');
      return { probe, withinMs: b.within_ms, sessions };
    }
    const re = globToRegExp(b.nodes);
    if (!ctx.lab.nodes.some((n) => re.test(n.name))) ctx.report(['nodes'], `no node of the lab is named like ${JSON.stringify(b.nodes)}`);
    return { pattern: b.nodes, from: fromNode(b, ctx), probe, withinMs: b.within_ms, sessions };
  },
  explain: ({ spec }, { lab }) => {
    const nodes = dying(lab, spec);
    const host = lab.hosts?.list.find((h) => h.name === spec.host);
    return [
      ...(host
        ? [
            `# host ${host.name} dies: its wires in the fabric go down (${hostWires(host).join(', ')}), and:`,
            shellLine(netns.ip(lab.hosts!.fabric, ['link', 'set', hostWires(host)[0], 'down'])),
          ]
        : []),
      `# SIGKILL to every process of ${nodes.length} node${nodes.length === 1 ? '' : 's'} (${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ', ...' : ''}), found by LABLB_TOKEN=${lab.name}/<node>/`,
      `# and their links down (ip -n NODE link set PORT down), as a host that lost power`,
      `# then each VRRP group they were in needs a MASTER on another node within ${spec.withinMs} ms`,
      ...(spec.probe ? [`# and probe ${spec.probe}'s traffic must come back within it: the step times the outage`] : []),
      ...(spec.from
        ? [
            `# ${spec.from} pings each dying HA router's floating IPs until they answer again, and the floating IPs of routers`,
            `# elsewhere (DVR's) for up to ${WATCH_MS / 1000} s (5 pings a second, at most 100 a second in all), counting replies missed`,
          ]
        : []),
      ...(spec.sessions
        ? [`# and probe ${spec.sessions.probe}'s TCP sessions to those floating IPs: lost, or when each flowed again (within ${spec.withinMs} ms)`]
        : []),
    ];
  },
  async run(step, ctx) {
    const dead = new Set(dying(ctx.lab, step.spec));
    const host = ctx.lab.hosts?.list.find((h) => h.name === step.spec.host);
    // Split brain before anything died (adverts lost on a busy switch) is told apart.
    await ctx.observe(vrrpKinds(ctx.lab));
    const splitBefore = [...survivorStates(ctx.lab, ctx.facts, new Set()).values()].filter((st) => st.filter((x) => x === 'MASTER').length > 1).length;
    // The groups the dying nodes were in, each timed from its own node's kill.
    const killedAt = new Map<string, number>();
    const t0 = performance.now();
    for (const name of dead) {
      ctx.host.signalByToken(`${ctx.lab.name}/${name}/`, 'SIGKILL');
      const node = ctx.lab.nodes.find((n) => n.name === name)!;
      for (const s of node.services) for (const v of serviceKindOf(s.kind).vrrpStates?.(s, ctx.facts) ?? []) killedAt.set(v.group, performance.now());
    }
    const killMs = Math.round(performance.now() - t0);
    const killedAtMs = Date.now() - killMs;
    // Each HA router's floating IPs, pinged until they first answer from another node.
    const fips = haFloatingIps(ctx.lab, dead);
    // The node that pings (the outside), reached through its runtime.
    const pinger = ctx.lab.nodes.find((n) => n.name === step.spec.from);
    const answers = pinger ? firstAnswers(ctx.host, pinger, fips, killedAtMs + step.spec.withinMs, ctx.signal) : undefined;
    // The floating IPs of routers elsewhere (DVR's, on the compute nodes): watched for loss.
    const elsewhere = floatingIpsElsewhere(ctx.lab, dead);
    const watching = pinger && elsewhere.length ? repliesOver(ctx.host, pinger, elsewhere, Math.min(step.spec.withinMs, WATCH_MS)) : undefined;
    if (host) ctx.facts.hostsDown[host.name] = killedAtMs;
    // A host's wires go with it: the others no longer reach its tunnel endpoint or its br-ex.
    const wiresCut = host
      ? ctx.apply([
          netns.ipBatch(
            ctx.lab.hosts!.fabric,
            hostWires(host).map((w) => `link set ${w} down`),
          ),
        ])
      : Promise.resolve();
    // Its links go with it, as with a host that lost power: a namespace left up would still
    // answer ARP for the addresses keepalived left on it. Meanwhile the takeovers are timed.
    const linksDown = ctx.apply(
      [...dead].map((name) => {
        const node = ctx.lab.nodes.find((n) => n.name === name)!;
        return netns.ipBatch(
          name,
          node.ports.map((p) => `link set ${p.name} down`),
        );
      }),
    );
    const tookOver = new Map<string, number>();
    const deadline = t0 + step.spec.withinMs;
    let states = survivorStates(ctx.lab, ctx.facts, dead);
    while (!ctx.signal.aborted) {
      await ctx.observe(vrrpKinds(ctx.lab));
      states = survivorStates(ctx.lab, ctx.facts, dead);
      const now = performance.now();
      for (const [group, at] of killedAt) if (!tookOver.has(group) && states.get(group)?.includes('MASTER')) tookOver.set(group, Math.round(now - at));
      if (tookOver.size === killedAt.size || now > deadline) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    await linksDown;
    await wiresCut;
    const traffic = step.spec.probe ? await outage(ctx, step.spec.probe, killedAtMs, deadline) : undefined;
    const answered = answers ? await answers : undefined;
    const back = answered ? fips.flatMap((ip) => (answered.has(ip) ? [answered.get(ip)! - killedAtMs] : [])) : [];
    const fipFigures = answered
      ? {
          fips: fips.length,
          fips_answered: back.length,
          fip_p50_ms: percentile(back, 50),
          fip_p95_ms: percentile(back, 95),
          fip_max_ms: back.length ? Math.max(...back) : 0,
        }
      : undefined;
    const watched = watching ? await watching : undefined;
    const elsewhereFigures = watched
      ? {
          fips_elsewhere: elsewhere.length,
          fips_elsewhere_unaffected: elsewhere.filter(
            (ip) => watched.replies.get(ip)?.sent === watched.count && watched.replies.get(ip)?.received === watched.count,
          ).length,
          fips_elsewhere_lost: elsewhere.reduce((n, ip) => n + watched.count - (watched.replies.get(ip)?.received ?? 0), 0),
        }
      : undefined;
    // Their TCP sessions: given until the deadline to come back on TCP's own back-off.
    const ref = step.spec.sessions;
    if (ref) await sessionsSettled(ctx, ref, [...fips, ...elsewhere], killedAtMs + step.spec.withinMs);
    const haSessions = ref ? sessionFigures(ctx, ref, fips, killedAtMs) : undefined;
    const dvrSessions = ref && watched ? sessionFigures(ctx, ref, elsewhere, killedAtMs) : undefined;
    const times = [...tookOver.values()];
    const none = [...killedAt.keys()].filter((g) => !states.get(g)?.includes('MASTER'));
    const two = [...killedAt.keys()].filter((g) => (states.get(g)?.filter((x) => x === 'MASTER').length ?? 0) > 1);
    const figures = { p50_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: times.length ? Math.max(...times) : 0 };
    return {
      name: step.name,
      ok:
        killedAt.size > 0 &&
        none.length === 0 &&
        two.length === 0 &&
        (traffic?.recovered ?? true) &&
        (fipFigures ? fipFigures.fips_answered === fipFigures.fips : true),
      detail:
        killedAt.size === 0
          ? `no VRRP group on ${[...dead].join(', ')}`
          : `${host ? `host ${host.name} died: its wires cut, ` : ''}${dead.size} nodes killed in ${killMs} ms; ${tookOver.size} of ${killedAt.size} VRRP groups took over elsewhere: p50 ${figures.p50_ms} ms, p95 ${figures.p95_ms} ms, max ${figures.max_ms} ms; ${none.length} with no MASTER${none.length ? ` (${none.slice(0, 3).join(', ')}${none.length > 3 ? ' ...' : ''})` : ''}, ${two.length} with two${splitBefore ? `; ${splitBefore} groups had two MASTERs before anything died` : ''}${traffic ? `; ${trafficText(step.spec.probe!, traffic, step.spec.withinMs)}` : ''}${fipFigures ? `; ${fipFigures.fips_answered} of ${fipFigures.fips} floating IPs answered again from ${step.spec.from}: p50 ${fipFigures.fip_p50_ms} ms, p95 ${fipFigures.fip_p95_ms} ms, max ${fipFigures.fip_max_ms} ms after the kill` : ''}${haSessions ? `; TCP sessions: ${haSessions.lost} of ${haSessions.of} lost, back p50 ${haSessions.p50_ms} ms` : ''}${elsewhereFigures ? `; ${elsewhereFigures.fips_elsewhere_unaffected} of ${elsewhereFigures.fips_elsewhere} floating IPs elsewhere never missed a reply (${watched!.count} pings each, ${watched!.intervalMs} ms apart; ${elsewhereFigures.fips_elsewhere_lost} lost)` : ''}`,
      groups: killedAt.size,
      took_over: tookOver.size,
      ...figures,
      no_master: none.length,
      two_masters: two.length,
      two_masters_before: splitBefore,
      kill_ms: killMs,
      ...(traffic ? { outage_ms: traffic.outageMs, recovered: traffic.recovered, failed: traffic.failed } : {}),
      ...fipFigures,
      ...elsewhereFigures,
      ...(haSessions
        ? { sessions: haSessions.of, sessions_lost: haSessions.lost, session_back_p50_ms: haSessions.p50_ms, session_back_max_ms: haSessions.max_ms }
        : {}),
      ...(dvrSessions
        ? { sessions_elsewhere: dvrSessions.of, sessions_elsewhere_lost: dvrSessions.lost, sessions_elsewhere_unaffected: dvrSessions.unaffected }
        : {}),
      answers: [
        ...(fipFigures
          ? [
              {
                answer: 'L3 HA (keepalived)',
                answered: fipFigures.fips_answered,
                of: fipFigures.fips,
                p50_ms: fipFigures.fip_p50_ms,
                p95_ms: fipFigures.fip_p95_ms,
                max_ms: fipFigures.fip_max_ms,
                two_masters: two.length,
                no_master: none.length,
                ...rowSessions(haSessions),
                note: `VRRP takeover p50 ${figures.p50_ms} ms`,
              },
            ]
          : []),
        ...(elsewhereFigures && watched
          ? [
              {
                answer: 'elsewhere (DVR): never affected',
                answered: elsewhereFigures.fips_elsewhere_unaffected,
                of: elsewhereFigures.fips_elsewhere,
                ...lostTime(elsewhere, watched),
                ...rowSessions(dvrSessions),
                note: `${elsewhereFigures.fips_elsewhere_lost} of ${elsewhere.length * watched.count} pings lost`,
              },
            ]
          : []),
      ],
    };
  },
});

interface Outage {
  /** From the kill to the probe's first answer after it (or to the deadline). */
  outageMs: number;
  recovered: boolean;
  failed: number;
}

/** Waits, until the deadline, for the probe to answer again after the kill. */
async function outage(ctx: StepContext, name: string, killedAt: number, deadline: number): Promise<Outage | undefined> {
  const feed = ctx.probe(name);
  if (!feed) return undefined;
  const firstFailure = () => feed.sentSince(killedAt).find((x) => !x.ok);
  const answered = () => {
    const failed = firstFailure();
    return failed ? feed.sentSince(failed.t).find((x) => x.ok) : undefined;
  };
  // Some traffic after the kill first: a probe in flight at the kill may still answer.
  await feed.next(Math.max(2, Math.ceil(1000 / feed.intervalMs)), feed.timeoutMs + 2000);
  while (!ctx.signal.aborted && !answered() && performance.now() < deadline) await new Promise((r) => setTimeout(r, feed.intervalMs));
  const back = answered();
  const failed = feed.sentSince(killedAt).filter((x) => !x.ok).length;
  if (!firstFailure()) return { outageMs: 0, recovered: true, failed };
  return { outageMs: Math.round((back?.t ?? Date.now()) - killedAt), recovered: back !== undefined, failed };
}

function trafficText(probe: string, t: Outage, withinMs: number): string {
  if (t.failed === 0) return `probe ${probe} lost nothing`;
  return t.recovered
    ? `probe ${probe} answered again ${t.outageMs} ms after the kill (${t.failed} failed)`
    : `probe ${probe} had no answer for ${t.outageMs} ms, still none after ${withinMs} ms (${t.failed} failed)`;
}
