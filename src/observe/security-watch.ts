// Port security as the switch enforces it: each port's state (security.json, which steps and
// `lablb neutron` rewrite) and how many packets each of its drop flows has dropped, read from
// one `ovs-ofctl dump-flows` per bridge every second.
import type { Observer, ObserverContext } from '../kinds/service-kind.js';
import { readSecurity } from '../security/apply.js';
import { describePort, portSecurity } from '../security/changes.js';
import { DROP_REASONS, parseDropCookie, type DropReason } from '../security/flows.js';
import { describeRule, portId, usesPortSecurity, type SecurityState } from '../security/model.js';
import type { PortSecurityFact } from '../kinds/facts.js';

/** Packets per drop reason per port index, from `ovs-ofctl dump-flows` text. */
export function parseDropCounters(text: string): Map<number, Record<DropReason, number>> {
  const out = new Map<number, Record<DropReason, number>>();
  for (const line of text.split('\n')) {
    const m = /cookie=(0x[0-9a-f]+),.*?n_packets=(\d+)/.exec(line);
    const drop = m ? parseDropCookie(Number(m[1])) : undefined;
    if (!drop) continue;
    const counts = out.get(drop.portIndex) ?? (Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>);
    counts[drop.reason] += Number(m![2]);
    out.set(drop.portIndex, counts);
  }
  return out;
}

/** Each group's rules, in words: what a change to a group is told by. */
function groupRules(state: SecurityState): Map<string, string[]> {
  return new Map(state.groups.map((g) => [g.name, g.rules.map(describeRule)]));
}

export function securityObserver(ctx: ObserverContext): Observer | undefined {
  const { lab, host } = ctx;
  if (!usesPortSecurity(lab)) return undefined;
  const ports = lab.nodes.flatMap((n) => n.ports);
  let rulesBefore: Map<string, string[]> | undefined;
  return {
    id: 'security',
    everyMs: 1000,
    async poll() {
      const state = readSecurity(host, lab);
      const rules = groupRules(state);
      for (const [group, now] of rulesBefore ? rules : []) {
        const was = rulesBefore?.get(group) ?? [];
        const added = now.filter((r) => !was.includes(r));
        const removed = was.filter((r) => !now.includes(r));
        if (added.length || removed.length) ctx.emit({ type: 'security-group', group, added, removed, at_ms: ctx.since() });
      }
      rulesBefore = rules;
      const dumps = await Promise.all(
        lab.switch.bridges.map((br) => host.query(['ovs-ofctl', '-O', 'OpenFlow14', 'dump-flows', `unix:${lab.switch.rundir}/${br}.mgmt`])),
      );
      const drops = parseDropCounters(dumps.map((d) => d.stdout).join('\n'));
      const next: Record<string, PortSecurityFact> = {};
      ports.forEach((p, i) => {
        const id = portId(p);
        const s = portSecurity(state, id);
        if (!s.enabled && !(id in state.ports)) return;
        const summary = describePort(s);
        if (ctx.facts.security[id] && ctx.facts.security[id].summary !== summary) ctx.emit({ type: 'security', port: id, state: summary, at_ms: ctx.since() });
        next[id] = { ...s, summary, drops: drops.get(i + 1) ?? (Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>) };
      });
      ctx.facts.security = next;
    },
  };
}
