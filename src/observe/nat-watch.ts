// Packet counters of each router's NAT rules: one `iptables-save -c -t nat` per router per poll.
import type { HostDriver } from '../host.js';
import type { Observer, ObserverContext } from '../kinds/service-kind.js';
import type { Lab } from '../model.js';
import { floatingIpRules } from '../render/iptables-rules.js';
import { netns } from '../runtime/netns/netns.js';
import type { NatRuleFact } from '../kinds/facts.js';

/** The command that reads a router's NAT rules with their counters. */
export const natCountersArgv = (ns: string) => netns.exec(ns, ['iptables-save', '-c', '-t', 'nat']);

/** Packet counters keyed by the rule as iptables-save prints it (-A chain ...). */
export function parseSaveCounters(text: string): Map<string, number> {
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\[(\d+):(\d+)\] (-A .*)$/.exec(line.trim());
    if (m) counters.set(m[3], Number(m[1]));
  }
  return counters;
}

export async function natCounters(host: HostDriver, ns: string): Promise<Map<string, number>> {
  const r = await host.query(natCountersArgv(ns));
  if (r.exitCode !== 0) throw new Error(`iptables-save in ${ns} failed: ${r.stderr.trim()}`);
  return parseSaveCounters(r.stdout);
}

/** The rules worth watching in a router: each floating IP's DNAT and SNAT, and default SNAT. */
export function watchedRules(lab: Lab): Omit<NatRuleFact, 'packets'>[] {
  return lab.nodes.flatMap((n) => {
    if (!n.l3) return [];
    const l3 = n.l3;
    return [
      ...l3.floatingIps.flatMap(({ floating, fixed }) => {
        const r = floatingIpRules(floating, fixed);
        return [
          { router: n.name, label: `PREROUTING DNAT ${floating} -> ${fixed}`, rule: r.dnat },
          { router: n.name, label: `OUTPUT     DNAT ${floating} -> ${fixed}`, rule: r.outputDnat },
          { router: n.name, label: `float-snat SNAT ${fixed} -> ${floating}`, rule: r.snat },
        ];
      }),
      ...(l3.enableSnat
        ? l3.internalCidrs.map((cidr) => ({
            router: n.name,
            label: `snat       SNAT ${cidr} -> ${l3.gatewayAddress}`,
            rule: `-A neutron-l3-agent-snat -s ${cidr} -j SNAT --to-source ${l3.gatewayAddress}`,
          }))
        : []),
    ];
  });
}

/** Reads the counters every 2 s: a process per router each time. */
export function natObserver(ctx: ObserverContext): Observer | undefined {
  ctx.facts.nat = watchedRules(ctx.lab).map((r) => ({ ...r, packets: 0 }));
  const routers = [...new Set(ctx.facts.nat.map((r) => r.router))];
  if (routers.length === 0) return undefined;
  return {
    id: 'nat',
    everyMs: 2000,
    async poll() {
      await Promise.all(
        routers.map(async (router) => {
          let counters: Map<string, number>;
          try {
            counters = await natCounters(ctx.host, router);
          } catch {
            return; // the namespace is going away
          }
          for (const r of ctx.facts.nat.filter((x) => x.router === router)) {
            const packets = counters.get(r.rule) ?? 0;
            if (r.packets === 0 && packets > 0) ctx.emit({ type: 'nat', router, rule: r.rule, label: r.label, at_ms: ctx.since() });
            r.packets = packets;
          }
        }),
      );
    },
  };
}
