// Every floating IP in the lab answers: one ping each from a node outside (seed 002's network
// node of many routers, where "are they all still there?" is the first question). xargs in
// the node's network namespace runs the pings side by side.
import { z } from 'zod';
import { NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns/netns.js';
import { shellLine } from '../shell.js';
import { serviceKindOf } from '../services/all.js';
import type { HostDriver } from '../host.js';
import type { Lab } from '../model.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('floating-ips-answer'),
    from: NsName.describe('the node that pings (the external network)'),
    at_most_lost: z.int().min(0).default(0).describe('floating IPs that may stay silent'),
  })
  .describe('Ping every floating IP of every router in the lab once, from a node outside; passes when all answer (or all but at_most_lost)');

interface Spec {
  from: string;
  atMostLost: number;
}

/** Pings side by side: enough to hide each one's round trip, few enough for two cores. */
const AT_ONCE = 8;

/** Every address the lab's services are reached at from outside (the routers' floating IPs). */
export function floatingIpsOf(lab: Lab): string[] {
  return lab.nodes.flatMap((n) => n.services.flatMap((s) => serviceKindOf(s.kind).reachableAt?.(s.spec) ?? []));
}

const PING_EACH = ['xargs', '-P', String(AT_ONCE), '-n', '1', 'ping', '-c', '1', '-W', '2', '-q'];

/** The targets that did not answer: one nsenter, xargs starting a ping per address, each
 *  ping's summary ("--- 172.24.10.3 ping statistics --- 1 packets transmitted, 1 received"). */
async function pingEach(host: HostDriver, from: string, targets: string[]): Promise<string[]> {
  if (targets.length === 0) return [];
  const r = await host.run(netns.execNet(from, PING_EACH), { input: targets.join('\n'), allowFailure: true, timeoutMs: 10_000 + targets.length * 500 });
  const answered = new Set([...r.stdout.matchAll(/--- (\S+) ping statistics ---\n\d+ packets transmitted, [1-9]\d* received/g)].map((m) => m[1]));
  return targets.filter((ip) => !answered.has(ip));
}

/** Neighbour entries one floating IP's round trip needs: outside -> floating IP, router -> VM,
 *  VM -> router, router -> upstream gateway. */
const NEIGHBOURS_PER_FLOATING_IP = 4;
const GC_THRESH3 = '/proc/sys/net/ipv4/neigh/default/gc_thresh3';

/** The kernel's ARP table is one for the whole host, every namespace's entries counted together
 *  against gc_thresh3 (1024 by default): beyond it new entries fail ("neighbor table overflow")
 *  and pings go unanswered. lablb never changes it (it is host-wide); it says so. */
function arpLimit(host: HostDriver): number | undefined {
  const n = Number(host.readFile(GC_THRESH3)?.trim());
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

function arpHint(limit: number, floating: number): string {
  const want = 2 ** Math.ceil(Math.log2(NEIGHBOURS_PER_FLOATING_IP * floating * 2));
  return `the host's ARP table holds ${limit} entries for all namespaces together (net.ipv4.neigh.default.gc_thresh3) and ${floating} floating IPs need about ${NEIGHBOURS_PER_FLOATING_IP * floating}; lablb leaves host-wide settings alone: sudo sysctl -w net.ipv4.neigh.default.gc_thresh2=${want / 2} net.ipv4.neigh.default.gc_thresh3=${want} (and back to ${limit} afterwards)`;
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
    return { from: b.from, atMostLost: b.at_most_lost };
  },
  explain: ({ spec }, { lab }) => [
    `# one ping to each of the lab's ${floatingIpsOf(lab).length} floating IPs from ${spec.from}, ${AT_ONCE} at once, the silent tried again:`,
    `${shellLine(netns.execNet(spec.from, PING_EACH))} <<'EOF'`,
    ...floatingIpsOf(lab).slice(0, 3),
    ...(floatingIpsOf(lab).length > 3 ? ['...'] : []),
    'EOF',
    `# passes when at most ${spec.atMostLost} stay silent`,
  ],
  async run(step, ctx) {
    const { from, atMostLost } = step.spec;
    const targets = floatingIpsOf(ctx.lab);
    const t0 = performance.now();
    // A second try for the silent: the first ping to an address waits for ARP, which a switch of
    // a thousand ports floods to all of them.
    let silent = await pingEach(ctx.host, from, targets);
    if (silent.length > 0) silent = await pingEach(ctx.host, from, silent);
    const ms = Math.round(performance.now() - t0);
    const answered = targets.length - silent.length;
    const limit = silent.length ? arpLimit(ctx.host) : undefined;
    const ok = targets.length > 0 && silent.length <= atMostLost;
    return {
      name: step.name,
      ok,
      detail:
        targets.length === 0
          ? 'the lab has no floating IPs'
          : `${answered} of ${targets.length} floating IPs answered a ping from ${from} in ${ms} ms${silent.length ? `; silent: ${silent.slice(0, 5).join(', ')}${silent.length > 5 ? `, and ${silent.length - 5} more` : ''}` : ''}${limit !== undefined && limit < NEIGHBOURS_PER_FLOATING_IP * targets.length ? `; ${arpHint(limit, targets.length)}` : ''}`,
      answered,
      silent: silent.length,
      ms,
    };
  },
});
