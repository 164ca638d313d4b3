// What the screen shows, as data any reporter can print: each service's rows as its kind draws
// them (in the services panel, or a panel of the kind's own), the addresses and drop counters. The screen draws these live; the plain
// lines and --json get the same facts as a `facts` event at the moments a reader looks for them.
import type { LabEvent } from '../kinds/events.js';
import type { Facts } from '../kinds/facts.js';
import { cellText, type Row } from '../kinds/service-kind.js';
import type { Lab } from '../model.js';
import { SERVICE_KINDS, serviceKindOf } from '../services/all.js';

/** A panel of rows, as kinds draw them: the services panel, or a kind's own (a router's NAT). */
export interface RowPanel {
  title: string;
  rows: Row[];
}

const SERVICES_PANEL = 'Services';

/** The services panel (every kind without a panel of its own), then each kind's own panel. */
/** A kind with more services than this gets its summary and the first SHOWN_OF_MANY. */
const ROWS_OF_AT_MOST = 12;
const SHOWN_OF_MANY = 3;

export function servicePanels(lab: Lab, facts: Facts): RowPanel[] {
  const services = lab.nodes.flatMap((n) => n.services);
  const shared = services.filter((s) => !serviceKindOf(s.kind).panel).flatMap((s) => serviceKindOf(s.kind).rows?.(s, facts) ?? []);
  const own = SERVICE_KINDS.flatMap((k) => {
    const mine = services.filter((s) => s.kind === k.kind);
    if (!k.panel || !k.rows || mine.length === 0) return [];
    // A thousand routers are a summary and the first few, not a thousand blocks of rows.
    if (mine.length > ROWS_OF_AT_MOST) {
      const shown = mine.slice(0, SHOWN_OF_MANY);
      const rest: Row = [{ text: `... and ${mine.length - shown.length} more (lablb status ${lab.name} --json has them all)`, tone: 'dim' }];
      return [{ title: k.panel(mine), rows: [...(k.summary?.(mine, facts) ?? []), ...shown.flatMap((s) => k.rows!(s, facts)), rest] }];
    }
    return [{ title: k.panel(mine), rows: mine.flatMap((s) => k.rows!(s, facts)) }];
  });
  return [{ title: SERVICES_PANEL, rows: shared }, ...own];
}

/** A row as the plain text the screen shows. */
export const rowText = (row: Row): string => row.map(cellText).join('').trimEnd();

export function factsEvent(lab: Lab, facts: Facts, when: 'start' | 'end'): Extract<LabEvent, { type: 'facts' }> {
  return {
    type: 'facts',
    when,
    panels: servicePanels(lab, facts).map((p) => ({ title: p.title, lines: p.rows.map(rowText) })),
    addresses: Object.fromEntries(Object.entries(facts.addresses).map(([node, list]) => [node, list.map((a) => `${a.address} ${a.dev}`)])),
    security: Object.fromEntries(Object.entries(facts.security).map(([port, s]) => [port, { summary: s.summary, drops: s.drops }])),
  };
}
