// Legacy routers on a network node that died, moved by the scheduler as Neutron's server does
// (allow_automatic_l3agent_failover): a periodic check every agent_down_time / 2 finds the
// agent's heartbeat older than twice agent_down_time, and its routers are scheduled, one after
// another, to a live L3 agent, which builds each again (namespace, ports, NAT). Each router's
// downtime runs from the host's death to its floating IPs' first answer: seed 002's "with
// thousands of routers failover can take hours".
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HostName, NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { downHosts } from '../kinds/facts.js';
import type { Lab, LabNode } from '../model.js';
import { joinNodeOps, joinRunningLab } from '../plan/node-plan.js';
import { l2popSyncOps, rescheduledNode } from '../plan/hosts.js';
import { opToShell } from '../kinds/ops.js';
import { serviceKindOf } from '../services/all.js';
import { percentile } from '../stats.js';
import { firstAnswers, floatingIpsOfNodes } from './pings.js';
import { TUNNELLED_BRIDGE } from '../links/tunnels.js';
import { resolveSessions, rowSessions, sessionFigures, sessionsSettled, type SessionsRef } from './sessions.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('reschedule'),
    host: HostName.describe('the host that died (an earlier agent-down step with host:)'),
    to: HostName.describe("the live L3 agent's host the scheduler picks"),
    from: NsName.describe("the node that pings the routers' floating IPs (the outside)"),
    agent_down_time_s: z
      .int()
      .min(1)
      .max(600)
      .default(75)
      .describe("Neutron's agent_down_time (75): the check runs every half of it and declares an agent dead after twice it"),
    within_ms: z.int().min(1000).max(1_800_000).default(300_000).describe('how long every router has to answer again, from the death'),
    sessions: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$/, { error: 'a probe name' })
      .optional()
      .describe("a sessions probe: the row counts the routers' TCP sessions lost, and when the others flowed again (waited for within within_ms)"),
  })
  .describe(
    "Neutron's rescheduling of legacy routers from a dead L3 agent: the periodic check, then each router built again on a live host; each router's downtime until its floating IPs answer",
  );

interface Spec {
  host: string;
  to: string;
  /** The namespaces the routers get on the new host. */
  moved: string[];
  from: string;
  agentDownTimeS: number;
  withinMs: number;
  sessions?: SessionsRef;
}

/** The host's routers Neutron reschedules: legacy ones (an l3 agent's router, no keepalived). */
function legacyRouters(lab: Lab, host: string): LabNode[] {
  return lab.nodes.filter(
    (n) => n.host === host && n.services.some((s) => serviceKindOf(s.kind).reachableAt) && !n.services.some((s) => serviceKindOf(s.kind).vrrpStates),
  );
}

/** The scheduler's timing: it checks every agent_down_time / 2 (Neutron's interval) and sees a
 *  router's binding as down once its agent's last heartbeat is older than twice agent_down_time.
 *  The lab takes the heartbeat at the moment of death and the checks from it: the rescheduling
 *  starts at the first check after 2 x agent_down_time (Neutron: its checks' phase is random,
 *  and the last heartbeat came up to report_interval before the death). */
export function rescheduleAfterMs(agentDownTimeS: number): number {
  const interval = Math.max(Math.floor(agentDownTimeS / 2), 1);
  const deadLimit = agentDownTimeS * 2;
  // The first check at which the heartbeat is older than the limit, strictly.
  return (Math.floor(deadLimit / interval) + 1) * interval * 1000;
}

export const reschedule = stepKind<Spec, z.infer<typeof Block>>({
  kind: 'reschedule',
  schema: Block,
  example: '{ name: routers-move, kind: reschedule, host: network1, to: network2, from: ext, agent_down_time_s: 10 }',
  tools: [{ command: 'ping', pkg: 'iputils-ping', versionArgs: ['-V'], why: "reschedule steps: when each router's floating IP answers again" }],
  // The routers' namespaces on the new host: preflight refuses a lab where one exists already.
  namespaces: (step) => step.spec.moved,
  resolve(b, ctx) {
    const hosts = ctx.lab.hosts?.list ?? [];
    const names = hosts.map((h) => h.name);
    ctx.node(b.from, ['from']);
    if (!ctx.lab.hosts) ctx.report(['host'], 'reschedule moves routers between hosts; this lab has none (hosts:)');
    else {
      if (!names.includes(b.host)) ctx.report(['host'], ctx.unknown('host', b.host, names));
      if (!names.includes(b.to)) ctx.report(['to'], ctx.unknown('host', b.to, names));
      else if (b.to === b.host) ctx.report(['to'], 'the routers move to another host');
      else if (!hosts.find((h) => h.name === b.to)!.external && legacyRouters(ctx.lab, b.host).some((n) => n.ports.some((p) => p.bridge !== TUNNELLED_BRIDGE)))
        ctx.report(['to'], `${b.to} has no br-ex (external: false): a router's gateway port needs one`);
      if (names.includes(b.host) && legacyRouters(ctx.lab, b.host).length === 0)
        ctx.report(['host'], `${b.host} has no legacy router (one with l3 and no keepalived) to move`);
    }
    const moved = legacyRouters(ctx.lab, b.host).map((n) => `${n.name}.${b.to}`);
    return {
      host: b.host,
      to: b.to,
      moved,
      from: b.from,
      agentDownTimeS: b.agent_down_time_s,
      withinMs: b.within_ms,
      sessions: resolveSessions(b.sessions, ctx),
    };
  },
  explain: ({ spec }, { lab, datapath }) => {
    const to = lab.hosts?.list.find((h) => h.name === spec.to);
    const routers = legacyRouters(lab, spec.host);
    const first = routers[0] && to ? rescheduledNode({ ...lab, hosts: structuredClone(lab.hosts) }, routers[0], to) : undefined;
    return [
      `# ${spec.host} died (an earlier agent-down): the check every ${Math.max(Math.floor(spec.agentDownTimeS / 2), 1)} s finds its heartbeat older than ${spec.agentDownTimeS * 2} s,`,
      `# ${rescheduleAfterMs(spec.agentDownTimeS) / 1000} s after the death; then its ${routers.length} routers are built on ${spec.to}, one after another. The first:`,
      ...(first ? joinNodeOps(lab, first, datapath).map(opToShell) : []),
      "# then l2pop: every live host's br-tun rewritten (ovs-ofctl replace-flows), and the routers' floating IPs pinged from " + spec.from,
      ...(spec.sessions
        ? [`# and probe ${spec.sessions.probe}'s TCP sessions to them: lost, or when each flowed again (within ${spec.withinMs} ms of the death)`]
        : []),
    ];
  },
  async run(step, ctx) {
    const { host, from, withinMs } = step.spec;
    const to = ctx.lab.hosts?.list.find((h) => h.name === step.spec.to);
    const diedAt = ctx.facts.hostsDown[host];
    if (!to || diedAt === undefined) return { name: step.name, ok: false, detail: `${host} has not died: an agent-down step with host: ${host} comes first` };
    const routers = legacyRouters(ctx.lab, host);
    const fips = floatingIpsOfNodes(routers);
    const deadline = diedAt + withinMs;
    // The floating IPs are pinged from now on, each until it first answers.
    const answers = firstAnswers(
      ctx.host,
      ctx.lab.nodes.find((n) => n.name === from)!,
      fips,
      deadline,
      ctx.signal,
    );
    const startAt = diedAt + rescheduleAfterMs(step.spec.agentDownTimeS);
    if (startAt > Date.now()) await sleep(startAt - Date.now(), undefined, { signal: ctx.signal }).catch(() => undefined);
    // Later than the scheduler's check when the steps before took longer.
    const began = Date.now();
    const down = downHosts(ctx.facts);
    const built: number[] = [];
    for (const old of routers) {
      if (ctx.signal.aborted) break;
      const moved = rescheduledNode(ctx.lab, old, to);
      // The old binding goes (its namespace stays on the dead host until teardown), the new one comes.
      ctx.topology.remove(old.name);
      await joinRunningLab(moved, ctx);
      ctx.topology.add(moved);
      await ctx.apply(l2popSyncOps(ctx.lab, down));
      built.push(Date.now());
    }
    const answered = await answers;
    const ref = step.spec.sessions;
    if (ref) await sessionsSettled(ctx, ref, fips, deadline);
    const sessions = ref ? sessionFigures(ctx, ref, fips, diedAt) : undefined;
    const downtimes = fips.map((ip) => (answered.has(ip) ? answered.get(ip)! - diedAt : undefined));
    const back = downtimes.filter((d): d is number => d !== undefined);
    const silent = fips.filter((ip) => !answered.has(ip));
    const figures = { p50_ms: percentile(back, 50), p95_ms: percentile(back, 95), max_ms: back.length ? Math.max(...back) : 0 };
    const buildMs = built.length ? built[built.length - 1] - began : 0;
    return {
      name: step.name,
      ok: routers.length > 0 && built.length === routers.length && silent.length === 0,
      detail: `${routers.length} routers of ${host} rescheduled to ${to.name} from ${Math.round((began - diedAt) / 1000)} s after its death, built one after another in ${buildMs} ms; ${back.length} of ${fips.length} floating IPs answered again: p50 ${figures.p50_ms} ms, p95 ${figures.p95_ms} ms, max ${figures.max_ms} ms after the death${silent.length ? `; silent: ${silent.slice(0, 3).join(', ')}${silent.length > 3 ? ' ...' : ''}` : ''}`,
      routers: routers.length,
      rescheduled: built.length,
      fips: fips.length,
      answered: back.length,
      ...figures,
      reschedule_after_ms: startAt - diedAt,
      build_ms: buildMs,
      ...(sessions ? { sessions: sessions.of, sessions_lost: sessions.lost, session_back_p50_ms: sessions.p50_ms, session_back_max_ms: sessions.max_ms } : {}),
      answers: [
        {
          answer: `legacy, rescheduled (agent_down_time ${step.spec.agentDownTimeS} s)`,
          answered: back.length,
          of: fips.length,
          ...figures,
          ...rowSessions(sessions),
          note: `scheduler from ${startAt - diedAt} ms, ${routers.length} routers built in ${buildMs} ms`,
        },
      ],
    };
  },
});
