// Packet counters of each router's NAT rules: one `iptables-save -c -t nat` per router per poll.
import { natCounters } from '../drivers/iptables.js';
import type { Lab } from '../model.js';
import { floatingIpRules } from '../render/iptables-rules.js';
import type { Emit } from '../report/events.js';

export interface NatRuleState {
  router: string;
  /** A short name for screens: "DNAT 10.255.253.100 -> 10.0.0.100". */
  label: string;
  rule: string;
  packets: number;
}

/** The rules worth watching in a router: each floating IP's DNAT and SNAT, and default SNAT. */
export function watchedRules(lab: Lab): Omit<NatRuleState, 'packets'>[] {
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

export class NatWatch {
  readonly rules: NatRuleState[];
  private readonly routers: string[];

  constructor(lab: Lab, private readonly emit: Emit) {
    this.rules = watchedRules(lab).map((r) => ({ ...r, packets: 0 }));
    this.routers = [...new Set(this.rules.map((r) => r.router))];
  }

  async poll(): Promise<void> {
    await Promise.all(
      this.routers.map(async (router) => {
        let counters: Map<string, number>;
        try {
          counters = await natCounters(router);
        } catch {
          return; // the namespace is going away
        }
        for (const r of this.rules.filter((x) => x.router === router)) {
          const packets = counters.get(r.rule) ?? 0;
          if (r.packets === 0 && packets > 0) this.emit({ type: 'note', message: `${router}: first packet on ${r.label}` });
          r.packets = packets;
        }
      }),
    );
  }
}
