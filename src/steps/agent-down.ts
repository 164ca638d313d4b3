// A whole network node dies (seed 002's question: what happens to its routers?): every process
// of the nodes that stand for its agent is killed with SIGKILL, as a host losing power leaves
// them, and the step times each VRRP group's takeover by an instance on a surviving node: the
// distribution (p50, p95, max), and how many groups ended with no MASTER or with two.
import { z } from 'zod';
import { StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import type { Facts } from '../kinds/facts.js';
import type { Lab } from '../model.js';
import { serviceKindOf } from '../services/all.js';
import { percentile } from '../stats.js';
import { netns } from '../runtime/netns/netns.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('agent-down'),
    nodes: z
      .string()
      .regex(/^[A-Za-z0-9_.*-]{1,64}$/, { error: 'a node name, * standing for any run of characters (qrouter-*-n1)' })
      .describe('the nodes of the agent that dies: a name, * standing for any run of characters'),
    within_ms: z.int().min(100).max(600_000).default(30_000).describe('how long every VRRP group has to find a MASTER elsewhere'),
  })
  .describe(
    "Kill every process of an agent's nodes (SIGKILL) and time each VRRP group's takeover on the surviving nodes: p50, p95, max, and groups left with no MASTER or with two",
  );

interface Spec {
  pattern: string;
  withinMs: number;
}

const globToRegExp = (glob: string) => new RegExp(`^${glob.replace(/[.]/g, '\\.').replace(/\*/g, '.*')}$`);

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
    const re = globToRegExp(b.nodes);
    if (!ctx.lab.nodes.some((n) => re.test(n.name))) ctx.report(['nodes'], `no node of the lab is named like ${JSON.stringify(b.nodes)}`);
    return { pattern: b.nodes, withinMs: b.within_ms };
  },
  explain: ({ spec }, { lab }) => {
    const re = globToRegExp(spec.pattern);
    const nodes = lab.nodes.filter((n) => re.test(n.name)).map((n) => n.name);
    return [
      `# SIGKILL to every process of ${nodes.length} node${nodes.length === 1 ? '' : 's'} (${nodes.slice(0, 3).join(', ')}${nodes.length > 3 ? ', ...' : ''}), found by LABLB_TOKEN=${lab.name}/<node>/`,
      `# and their links down (ip -n NODE link set PORT down), as a host that lost power`,
      `# then each VRRP group they were in needs a MASTER on another node within ${spec.withinMs} ms`,
    ];
  },
  async run(step, ctx) {
    const re = globToRegExp(step.spec.pattern);
    const dead = new Set(ctx.lab.nodes.filter((n) => re.test(n.name)).map((n) => n.name));
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
    const times = [...tookOver.values()];
    const none = [...killedAt.keys()].filter((g) => !states.get(g)?.includes('MASTER'));
    const two = [...killedAt.keys()].filter((g) => (states.get(g)?.filter((x) => x === 'MASTER').length ?? 0) > 1);
    const figures = { p50_ms: percentile(times, 50), p95_ms: percentile(times, 95), max_ms: times.length ? Math.max(...times) : 0 };
    return {
      name: step.name,
      ok: killedAt.size > 0 && none.length === 0 && two.length === 0,
      detail:
        killedAt.size === 0
          ? `no VRRP group on ${[...dead].join(', ')}`
          : `${dead.size} nodes killed in ${killMs} ms; ${tookOver.size} of ${killedAt.size} VRRP groups took over elsewhere: p50 ${figures.p50_ms} ms, p95 ${figures.p95_ms} ms, max ${figures.max_ms} ms; ${none.length} with no MASTER${none.length ? ` (${none.slice(0, 3).join(', ')}${none.length > 3 ? ' ...' : ''})` : ''}, ${two.length} with two${splitBefore ? `; ${splitBefore} groups had two MASTERs before anything died` : ''}`,
      groups: killedAt.size,
      took_over: tookOver.size,
      ...figures,
      no_master: none.length,
      two_masters: two.length,
      two_masters_before: splitBefore,
      kill_ms: killMs,
    };
  },
});
