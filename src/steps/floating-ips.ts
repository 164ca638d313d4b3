// Every floating IP in the lab answers: one ping each from a node outside (seed 002's network
// node of many routers, where "are they all still there?" is the first question). xargs in
// the node's network namespace runs the pings side by side.
import { z } from 'zod';
import { NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns/netns.js';
import { shellLine } from '../shell.js';
import type { HostDriver } from '../host.js';
import { AT_ONCE, floatingIpsOf, PING_EACH, pingEach } from './pings.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('floating-ips-answer'),
    from: NsName.describe('the node that pings (the external network)'),
    at_most_lost: z.int().min(0).default(0).describe('floating IPs that may stay silent'),
    within_ms: z.int().min(0).max(120_000).default(5000).describe('how long the silent ones are tried again (a router still electing its MASTER)'),
  })
  .describe('Ping every floating IP of every router in the lab once, from a node outside; passes when all answer (or all but at_most_lost)');

interface Spec {
  from: string;
  atMostLost: number;
  withinMs: number;
}

const GC_THRESH3 = '/proc/sys/net/ipv4/neigh/default/gc_thresh3';
const ARP_STATS = '/proc/net/stat/arp_cache';

/** The kernel's ARP table is one for the whole host, every namespace's entries counted together
 *  against gc_thresh3 (1024 by default): beyond it new entries fail ("neighbor table overflow"),
 *  counted in table_fulls, and pings go unanswered. lablb never changes it (it is host-wide). */
function arpTableFulls(host: HostDriver): number {
  const lines = (host.readFile(ARP_STATS) ?? '').trim().split('\n');
  const column = lines[0]?.split(/\s+/).indexOf('table_fulls') ?? -1;
  if (column < 0) return 0;
  return lines.slice(1).reduce((n, l) => n + (parseInt(l.trim().split(/\s+/)[column] ?? '0', 16) || 0), 0);
}

function arpHint(host: HostDriver, fulls: number): string {
  const limit = Number(host.readFile(GC_THRESH3)?.trim()) || 1024;
  return `the host's ARP table, one for all namespaces, was full ${fulls} times meanwhile (net.ipv4.neigh.default.gc_thresh3 = ${limit}); lablb leaves host-wide settings alone: sudo sysctl -w net.ipv4.neigh.default.gc_thresh2=${limit * 4} net.ipv4.neigh.default.gc_thresh3=${limit * 8} (and back afterwards)`;
}

export const floatingIpsAnswer = stepKind<Spec, z.infer<typeof Block>>({
  kind: 'floating-ips-answer',
  schema: Block,
  example: '{ name: all-answer, kind: floating-ips-answer, from: ext }',
  tools: [
    { command: 'ping', pkg: 'iputils-ping', versionArgs: ['-V'], why: 'floating-ips-answer steps: one ping per floating IP' },
    { command: 'xargs', pkg: 'findutils', versionArgs: ['--version'], why: 'floating-ips-answer steps: the pings side by side' },
  ],
  resolve(b, ctx) {
    ctx.node(b.from, ['from']);
    return { from: b.from, atMostLost: b.at_most_lost, withinMs: b.within_ms };
  },
  explain: ({ spec }, { lab }) => [
    `# one ping to each of the lab's ${floatingIpsOf(lab).length} floating IPs from ${spec.from}, ${AT_ONCE} at once, the silent tried again:`,
    `${shellLine(netns.execNet(spec.from, PING_EACH))} <<'EOF'`,
    ...floatingIpsOf(lab).slice(0, 3),
    ...(floatingIpsOf(lab).length > 3 ? ['...'] : []),
    'EOF',
    `# the silent tried again for up to ${spec.withinMs} ms; passes when at most ${spec.atMostLost} stay silent`,
  ],
  async run(step, ctx) {
    const { from, atMostLost } = step.spec;
    const targets = floatingIpsOf(ctx.lab);
    const t0 = performance.now();
    const fullsBefore = arpTableFulls(ctx.host);
    // The silent are tried again (at least once: the first ping to an address waits for ARP,
    // which a switch of a thousand ports floods to all of them) until within_ms has passed.
    const pinger = ctx.lab.nodes.find((n) => n.name === from)!;
    let silent = await pingEach(ctx.host, pinger, targets);
    for (let tries = 1; silent.length > 0 && !ctx.signal.aborted && (tries === 1 || performance.now() - t0 < step.spec.withinMs); tries++) {
      if (tries > 1) await new Promise((r) => setTimeout(r, 250));
      silent = await pingEach(ctx.host, pinger, silent);
    }
    const ms = Math.round(performance.now() - t0);
    const answered = targets.length - silent.length;
    const fulls = silent.length ? arpTableFulls(ctx.host) - fullsBefore : 0;
    const ok = targets.length > 0 && silent.length <= atMostLost;
    return {
      name: step.name,
      ok,
      detail:
        targets.length === 0
          ? 'the lab has no floating IPs'
          : `${answered} of ${targets.length} floating IPs answered a ping from ${from} in ${ms} ms${silent.length ? `; silent: ${silent.slice(0, 5).join(', ')}${silent.length > 5 ? `, and ${silent.length - 5} more` : ''}` : ''}${fulls > 0 ? `; ${arpHint(ctx.host, fulls)}` : ''}`,
      answered,
      silent: silent.length,
      ms,
    };
  },
});
