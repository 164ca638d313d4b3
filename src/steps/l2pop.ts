// l2pop at work, read from a host's br-tun: a port's traffic went through the unicast entry
// l2pop gave it (table 20, the port's MAC, to the VXLAN port of the port's host), not by
// flooding; and where that entry points now (after an HA router's failover, the new MASTER's
// host, or still the old one: the stale tunnel).
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { HostName, PortRef, StepName } from '../kinds/fields.js';
import { stepKind, type StepContext } from '../kinds/step-kind.js';
import { TABLES, tunnelPort } from '../links/tunnels.js';
import type { Lab, LabHost } from '../model.js';
import { shellLine } from '../shell.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('l2pop-unicast'),
    host: HostName.describe('the host whose br-tun is read'),
    to: PortRef.describe("a port on another host: its MAC's unicast entry must have counted packets"),
  })
  .describe("A host's br-tun sent traffic to a port through l2pop's unicast entry (table 20), since the experiment began");

interface Spec {
  host: string;
  mac: string;
  port: string;
  /** The tunnel port the entry must output to: the port's host's. */
  tunnel: string;
  toHost: string;
}

const dumpArgv = (lab: Lab, host: LabHost) => [
  'ovs-ofctl',
  '--names',
  'dump-flows',
  `unix:${join(host.switch.rundir, 'br-tun.mgmt')}`,
  `table=${TABLES.ucastToTun}`,
];

/** The tunnel port l2pop's entry for a MAC outputs to, from `ovs-ofctl --names dump-flows`. */
export function unicastTunnel(dump: string, mac: string): string | undefined {
  const line = dump.split('\n').find((l) => / priority=2,/.test(l) && l.includes(`dl_dst=${mac}`));
  return line?.match(/output:"?([A-Za-z0-9_.-]+)"?/)?.[1];
}

/** The packets l2pop's entry for a MAC counted, from `ovs-ofctl dump-flows`; undefined when
 *  there is no such entry (priority 2: learned entries are priority 1). */
export function unicastPackets(dump: string, mac: string, tunnel: string): number | undefined {
  // ovs-ofctl --names quotes a port name that could be read as something else.
  const out = new RegExp(`output:"?${tunnel}"?(,|$)`);
  const line = dump.split('\n').find((l) => / priority=2,/.test(l) && l.includes(`dl_dst=${mac}`) && out.test(l.trim()));
  const n = line?.match(/n_packets=(\d+)/);
  return n ? Number(n[1]) : undefined;
}

const baselines = new WeakMap<object, number>();
const SETTLE_MS = 3000;
const POLL_MS = 250;

async function counted(step: { spec: Spec }, ctx: StepContext): Promise<number | undefined> {
  const host = ctx.lab.hosts?.list.find((h) => h.name === step.spec.host);
  if (!host) return undefined;
  const r = await ctx.host.run(dumpArgv(ctx.lab, host), { allowFailure: true });
  return unicastPackets(r.stdout, step.spec.mac, step.spec.tunnel);
}

export const l2popUnicast = stepKind<Spec, z.infer<typeof Block>>({
  kind: 'l2pop-unicast',
  schema: Block,
  example: '{ name: east-west-by-l2pop, kind: l2pop-unicast, host: compute2, to: vm1/eth0 }',
  resolve(b, ctx) {
    const hosts = ctx.lab.hosts?.list ?? [];
    const host = hosts.find((h) => h.name === b.host);
    if (!ctx.lab.hosts) ctx.report(['host'], "l2pop-unicast reads a host's br-tun; this lab has no hosts:");
    else if (!host)
      ctx.report(
        ['host'],
        ctx.unknown(
          'host',
          b.host,
          hosts.map((h) => h.name),
        ),
      );
    const port = ctx.port(b.to, ['to']);
    const node = port && ctx.lab.nodes.find((n) => n.name === port.node);
    const toHost = hosts.find((h) => h.name === node?.host);
    if (host && toHost === host) ctx.report(['to'], `${b.to} is on ${b.host} itself: its traffic does not leave through br-tun`);
    if (port && host && !(port.network in host.localVlans)) ctx.report(['to'], `${b.host} has no port on ${port.network}: l2pop gives it no entry for ${b.to}`);
    return { host: b.host, mac: port?.mac ?? '', port: b.to, tunnel: toHost ? tunnelPort(toHost) : '', toHost: toHost?.name ?? '' };
  },
  explain: ({ spec }, { lab }) => {
    const host = lab.hosts?.list.find((h) => h.name === spec.host);
    return [
      `# on ${spec.host}, before the probes start and now: l2pop's entry for ${spec.port} (${spec.mac}), out to ${spec.toHost}`,
      ...(host ? [shellLine(dumpArgv(lab, host))] : []),
      `# passes when the priority=2 entry dl_dst=${spec.mac} ... output:${spec.tunnel} counted packets`,
    ];
  },
  async prepare(step, ctx) {
    baselines.set(step, (await counted(step, ctx)) ?? 0);
  },
  async run(step, ctx) {
    const { host, mac, port, tunnel, toHost } = step.spec;
    // The userspace datapath adds its cached flows' packets to the OpenFlow entries now and
    // then (its revalidators), so a count may lag the traffic by a moment.
    let grew: number | undefined;
    for (const deadline = Date.now() + SETTLE_MS; ; await sleep(POLL_MS)) {
      const now = await counted(step, ctx);
      grew = now === undefined ? undefined : now - (baselines.get(step) ?? 0);
      if ((grew !== undefined && grew > 0) || Date.now() >= deadline) break;
    }
    const ok = grew !== undefined && grew > 0;
    return {
      name: step.name,
      ok,
      detail:
        grew === undefined
          ? `${host}'s br-tun has no l2pop entry for ${port} (${mac}) to ${tunnel}`
          : `${host}'s br-tun sent ${grew} packets for ${port} (${mac}) to ${toHost} through ${tunnel} by l2pop's entry${ok ? '' : ' (expected > 0)'}`,
      packets: grew ?? 0,
    };
  },
});

const EntryBlock = z
  .strictObject({
    name: StepName,
    kind: z.literal('l2pop-entry'),
    host: HostName.describe('the host whose br-tun is read'),
    port: PortRef.describe("a port on another host (an HA router's qr port)"),
    points_to: HostName.describe("the host l2pop's entry for the port's MAC must send to"),
    within_ms: z.int().min(0).max(60_000).default(5000).describe('how long the entry may take to point there'),
  })
  .describe("Where a host's l2pop entry for a port's MAC sends its traffic: the host it must point to (after a failover, the new MASTER's)");

interface EntrySpec {
  host: string;
  mac: string;
  port: string;
  pointsTo: string;
  withinMs: number;
}

export const l2popEntry = stepKind<EntrySpec, z.infer<typeof EntryBlock>>({
  kind: 'l2pop-entry',
  schema: EntryBlock,
  example: '{ name: entry-follows-the-master, kind: l2pop-entry, host: compute1, port: qrouter-n2/qr-n2, points_to: network2 }',
  resolve(b, ctx) {
    const hosts = ctx.lab.hosts?.list ?? [];
    const names = hosts.map((h) => h.name);
    if (!ctx.lab.hosts) ctx.report(['host'], "l2pop-entry reads a host's br-tun; this lab has no hosts:");
    else {
      if (!names.includes(b.host)) ctx.report(['host'], ctx.unknown('host', b.host, names));
      if (!names.includes(b.points_to)) ctx.report(['points_to'], ctx.unknown('host', b.points_to, names));
      if (b.points_to === b.host) ctx.report(['points_to'], `${b.host}'s own ports have no l2pop entry there`);
    }
    const port = ctx.port(b.port, ['port']);
    return { host: b.host, mac: port?.mac ?? '', port: b.port, pointsTo: b.points_to, withinMs: b.within_ms };
  },
  explain: ({ spec }, { lab }) => {
    const host = lab.hosts?.list.find((h) => h.name === spec.host);
    return [
      ...(host ? [shellLine(dumpArgv(lab, host))] : []),
      `# passes when the priority=2 entry dl_dst=${spec.mac} outputs to ${spec.pointsTo}'s tunnel, within ${spec.withinMs} ms`,
    ];
  },
  async run(step, ctx) {
    const { mac, port, pointsTo, withinMs } = step.spec;
    const host = ctx.lab.hosts?.list.find((h) => h.name === step.spec.host);
    const byTunnel = new Map((ctx.lab.hosts?.list ?? []).map((h) => [tunnelPort(h), h.name]));
    let at: string | undefined;
    const t0 = Date.now();
    for (const deadline = t0 + withinMs; host; await sleep(POLL_MS)) {
      const r = await ctx.host.run(dumpArgv(ctx.lab, host), { allowFailure: true });
      const tunnel = unicastTunnel(r.stdout, mac);
      at = tunnel === undefined ? undefined : (byTunnel.get(tunnel) ?? tunnel);
      if (at === pointsTo || Date.now() >= deadline) break;
    }
    const ok = at === pointsTo;
    return {
      name: step.name,
      ok,
      detail:
        at === undefined
          ? `${step.spec.host}'s br-tun has no l2pop entry for ${port} (${mac})`
          : `${step.spec.host}'s l2pop entry for ${port} (${mac}) sends to ${at}${ok ? ` (after ${Date.now() - t0 < POLL_MS ? 'no wait' : `${Date.now() - t0} ms at most`})` : `, not ${pointsTo}, after ${withinMs} ms`}`,
      points_to: at ?? '',
    };
  },
});
