// What the screen shows, as data any reporter can print: each service's rows as its kind draws
// them, the addresses, NAT counters and drop counters. The screen draws these live; the plain
// lines and --json get the same facts as a `facts` event at the moments a reader looks for them.
import type { LabEvent } from '../kinds/events.js';
import type { Facts } from '../kinds/facts.js';
import { cellText, type Row } from '../kinds/service-kind.js';
import type { Lab } from '../model.js';
import { serviceKindOf } from '../services/all.js';

/** Every service's rows, drawn by its kind from the facts. */
export function serviceRows(lab: Lab, facts: Facts): Row[][] {
  return lab.nodes.flatMap((n) =>
    n.services.flatMap((s) => {
      const rows = serviceKindOf(s.kind).rows?.(s, facts);
      return rows?.length ? [rows] : [];
    }),
  );
}

export function factsEvent(lab: Lab, facts: Facts, when: 'start' | 'end'): Extract<LabEvent, { type: 'facts' }> {
  return {
    type: 'facts',
    when,
    services: serviceRows(lab, facts)
      .flat()
      .map((row) => row.map(cellText).join('').trimEnd()),
    addresses: Object.fromEntries(Object.entries(facts.addresses).map(([node, list]) => [node, list.map((a) => `${a.address} ${a.dev}`)])),
    nat: facts.nat.map((r) => ({ router: r.router, label: r.label, packets: r.packets })),
    security: Object.fromEntries(Object.entries(facts.security).map(([port, s]) => [port, { summary: s.summary, drops: s.drops }])),
  };
}
