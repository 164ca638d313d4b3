// What lablb sees of a router's l3-agent rules: the packet counters of each floating IP's DNAT
// and SNAT and of the default SNAT, one `iptables-save -c -t nat` per router per poll; a rule's
// first packet is told as an event. Only this kind reads its facts.
import type { HostDriver } from '../../host.js';
import type { KindObserver, ObserverContext, Row } from '../../kinds/service-kind.js';
import { serviceFacts, type Facts } from '../../kinds/facts.js';
import { serviceEvent } from '../../kinds/events.js';
import type { LabService } from '../../model.js';
import { netns } from '../../runtime/netns/netns.js';
import type { L3Spec } from './l3-agent.js';
import { floatingIpRules } from './rules.js';

/** A rule worth watching, its packets now and how many came since the poll before. */
export interface NatRuleFact {
  /** A short name for screens: "PREROUTING DNAT 10.255.253.100->10.0.0.100". */
  label: string;
  /** As iptables-save prints it (-A chain ...). */
  rule: string;
  packets: number;
  delta: number;
}

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
function watchedRules(l3: L3Spec): Omit<NatRuleFact, 'packets' | 'delta'>[] {
  return [
    ...l3.floatingIps.flatMap(({ floating, fixed }) => {
      const r = floatingIpRules(floating, fixed);
      return [
        { label: `PREROUTING DNAT ${floating}->${fixed}`, rule: r.dnat },
        { label: `OUTPUT     DNAT ${floating}->${fixed}`, rule: r.outputDnat },
        { label: `float-snat SNAT ${fixed}->${floating}`, rule: r.snat },
      ];
    }),
    ...(l3.enableSnat
      ? l3.internalCidrs.map((cidr) => ({
          label: `snat       SNAT ${cidr}->${l3.gatewayAddress}`,
          rule: `-A neutron-l3-agent-snat -s ${cidr} -j SNAT --to-source ${l3.gatewayAddress}`,
        }))
      : []),
  ];
}

/** One router's facts: its watched rules with their counters. */
export const natFacts = (facts: Facts, router: LabService<L3Spec>): NatRuleFact[] =>
  serviceFacts(facts, router, () => watchedRules(router.spec).map((r) => ({ ...r, packets: 0, delta: 0 })));

/** "qrouter01: first packet on PREROUTING DNAT ...". */
function firstPacketEvent(router: LabService<L3Spec>, rule: Omit<NatRuleFact, 'packets' | 'delta'>, at_ms: number) {
  return serviceEvent(
    'l3-agent',
    router,
    'nat',
    { text: `${router.node}: first packet on ${rule.label}`, tone: 'info' },
    { router: router.node, rule: rule.rule, label: rule.label },
    at_ms,
  );
}

/** Reads the counters every 2 s: a process per router each time. */
export function natObserver(routers: LabService<L3Spec>[], ctx: ObserverContext): KindObserver {
  for (const r of routers) natFacts(ctx.facts, r);
  return {
    everyMs: 2000,
    async poll() {
      await Promise.all(
        routers.map(async (router) => {
          let counters: Map<string, number>;
          try {
            counters = await natCounters(ctx.host, router.node);
          } catch {
            return; // the namespace is going away
          }
          for (const r of natFacts(ctx.facts, router)) {
            const packets = counters.get(r.rule) ?? 0;
            if (r.packets === 0 && packets > 0) ctx.emit(firstPacketEvent(router, r, ctx.since()));
            r.delta = Math.max(0, packets - r.packets);
            r.packets = packets;
          }
        }),
      );
    },
  };
}

/** The router, then a row per watched rule: its packets (new flows) and the growth since the
 *  poll before first, so a narrow screen cuts the rule's name, never its counts. */
export function natRows(router: LabService<L3Spec>, facts: Facts): Row[] {
  const rules = natFacts(facts, router);
  const head: Row = [
    { text: router.node, tone: 'bold' },
    {
      text: router.spec.dvr
        ? ` DVR, floating IPs by ${router.spec.gatewayPort} to ${router.spec.dvr.fipNamespace ?? 'none'}`
        : ` gateway ${router.spec.gatewayPort} ${router.spec.gatewayAddress}`,
      tone: 'dim',
    },
  ];
  return [
    head,
    ...rules.map((r): Row => [
      { text: String(r.packets).padStart(5), tone: 'bold' },
      { text: r.delta > 0 ? ` +${r.delta}` : '', tone: 'good', width: 6 },
      { text: r.label },
    ]),
  ];
}

/** Many routers in two rows: how many, and how many of their floating IPs have seen traffic. */
export function natSummary(routers: LabService<L3Spec>[], facts: Facts): Row[] {
  const floating = routers.reduce((n, r) => n + r.spec.floatingIps.length, 0);
  const rules = routers.flatMap((r) => natFacts(facts, r));
  const dnat = rules.filter((r) => r.label.startsWith('PREROUTING DNAT'));
  const used = dnat.filter((r) => r.packets > 0).length;
  const flows = rules.reduce((n, r) => n + r.packets, 0);
  return [
    [{ text: `${routers.length} routers, ${floating} floating IPs`, tone: 'bold' }],
    [{ text: `${used} of ${dnat.length} floating IPs have had traffic; ${flows} new flows through the NAT rules`, tone: 'dim' }],
  ];
}
