// The floating IP's DNAT and SNAT rules counted packets since the experiment began.
import { z } from 'zod';
import { Ipv4, NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { l3Agent, type L3Spec } from '../services/l3-agent/l3-agent.js';
import { natCounters, natCountersArgv } from '../services/l3-agent/observe.js';
import { floatingIpRules } from '../services/l3-agent/rules.js';
import { shellLine } from '../shell.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('nat-counters'),
    router: NsName.describe('a node with l3'),
    floating_ip_address: Ipv4.describe("one of the router's floating IPs"),
  })
  .describe("The floating IP's DNAT and SNAT rules counted packets since the experiment began");

interface NatSpec {
  router: string;
  floating: string;
  fixed: string;
}

/** Counters read before the traffic started, per step. */
const baselines = new WeakMap<object, Map<string, number>>();

export const natCountersStep = stepKind<NatSpec, z.infer<typeof Block>>({
  kind: 'nat-counters',
  schema: Block,
  example: '{ name: floating-ip-counters, kind: nat-counters, router: qrouter01, floating_ip_address: 10.255.253.100 }',
  tools: [{ command: 'iptables-save', pkg: 'iptables', versionArgs: ['--version'], why: 'NAT rule counters' }],
  resolve(b, ctx) {
    const router = ctx.node(b.router, ['router']);
    const l3 = router?.services.find((s) => s.kind === l3Agent.kind)?.spec as L3Spec | undefined;
    if (router && !l3) ctx.report(['router'], `${b.router} is not a router (no l3:)`);
    const fip = l3?.floatingIps.find((f) => f.floating === b.floating_ip_address);
    if (l3 && !fip) ctx.report(['floating_ip_address'], `${b.router} has no floating IP ${b.floating_ip_address}`);
    return { router: b.router, floating: b.floating_ip_address, fixed: fip?.fixed ?? '' };
  },
  explain: ({ spec }) => {
    const rules = floatingIpRules(spec.floating, spec.fixed);
    return [
      `# before the probes start, and now: the rules' packet counters`,
      shellLine(natCountersArgv(spec.router)),
      `# passes when both grew: ${rules.dnat}; ${rules.snat}`,
    ];
  },
  async prepare(step, ctx) {
    baselines.set(step, await natCounters(ctx.host, step.spec.router));
  },
  async run(step, ctx) {
    const { router, floating, fixed } = step.spec;
    const before = baselines.get(step) ?? new Map<string, number>();
    const after = await natCounters(ctx.host, router);
    const rules = floatingIpRules(floating, fixed);
    const grew = (rule: string) => (after.has(rule) ? after.get(rule)! - (before.get(rule) ?? 0) : undefined);
    const dnat = grew(rules.dnat);
    const snat = grew(rules.snat);
    const missing = [dnat === undefined ? rules.dnat : '', snat === undefined ? rules.snat : ''].filter(Boolean);
    const ok = missing.length === 0 && dnat! > 0 && snat! > 0;
    return {
      name: step.name,
      ok,
      detail: missing.length
        ? `rule not found in ${router}: ${missing.join('; ')}`
        : `DNAT ${floating}->${fixed} counted ${dnat} new flows, float-snat counted ${snat}${ok ? '' : ' (expected both > 0)'}`,
      dnat_packets: dnat ?? 0,
      snat_packets: snat ?? 0,
    };
  },
});
