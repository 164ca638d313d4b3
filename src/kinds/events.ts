// What the engine, the observers and the experiment tell the reporters: one typed event each,
// so the screen, the JSON stream (one object per line) and the checks read the same facts.
import type { GraphJson } from './topology.js';

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Rows of the run's outage table: a step that failed something over says how each kind of
   *  router fared (seed 002's answers side by side). */
  answers?: OutageRow[];
  /** Measured figures; durations end in _ms. */
  [figure: string]: string | number | boolean | OutageRow[] | undefined;
}

/** How one kind of router fared through a failure: from the failure to the first answer of
 *  its floating IPs, or that they never missed one. */
export interface OutageRow {
  answer: string;
  /** Floating IPs answering again, or never affected, of all. */
  answered: number;
  of: number;
  p50_ms: number;
  p95_ms: number;
  max_ms: number;
  /** VRRP groups left with two MASTERs or none (HA answers only). */
  two_masters?: number;
  no_master?: number;
  /** Its floating IPs' TCP sessions (a sessions probe): lost, and when those not lost flowed
   *  again, from the failure (0 for one never stalled). */
  sessions?: { of: number; lost: number; p50_ms: number; max_ms: number };
  note?: string;
}

/** The outage table, one line per row: what `run` prints at its end. */
export function outageTable(rows: OutageRow[]): string[] {
  // The sessions' columns only when a sessions probe held them.
  const withSessions = rows.some((r) => r.sessions);
  const sessions = (r: OutageRow) =>
    !withSessions ? '' : r.sessions ? ` ${r.sessions.lost}/${r.sessions.of} | ${r.sessions.p50_ms} | ${r.sessions.max_ms} |` : ' - | - | - |';
  return [
    `| answer | answered | p50 ms | p95 ms | max ms | two masters / none |${withSessions ? ' sessions lost | sessions back p50 ms | max ms |' : ''} note |`,
    `|---|---|---|---|---|---|${withSessions ? '---|---|---|' : ''}---|`,
    ...rows.map(
      (r) =>
        `| ${r.answer} | ${r.answered}/${r.of} | ${r.p50_ms} | ${r.p95_ms} | ${r.max_ms} | ${r.two_masters === undefined ? '-' : `${r.two_masters} / ${r.no_master}`} |${sessions(r)} ${r.note ?? ''} |`,
    ),
  ];
}

/** One task of a build: what it waited for, when it started and ended (ms since the process
 *  started). */
export interface TaskTiming {
  id: string;
  title: string;
  after: string[];
  startMs: number;
  endMs: number;
}

export type LabEvent =
  | { type: 'lab'; lab: string; state: 'building' | 'ready' | 'tearing-down' | 'down'; ms?: number; datapath?: string }
  | { type: 'task'; lab: string; id: string; index: number; total: number; title: string }
  /** When each task of a build ran, in ms since the process started (its Node start, loading
   *  and validation come before `appliedAtMs`): what `npm run bench` reads for the critical path. */
  | { type: 'timing'; lab: string; appliedAtMs: number; tasks: TaskTiming[] }
  /** A step started (at_ms since the observers started, as service events); its `check` event
   *  says how it ended, and when. */
  | { type: 'step'; name: string; kind: string; index: number; total: number; at_ms?: number }
  | ({ type: 'check'; at_ms?: number } & CheckResult)
  /** A probe's every result at the end of a run, for its report: [sent at_ms, 1 answered or 0,
   *  ms taken]. */
  | { type: 'probe'; name: string; target: string; from: string; interval_ms: number; samples: ProbePoint[] }
  /** A capture step's packets, read when the run ended: the pcap's file (in the lab's dir
   *  until it is torn down, unless kept) and its first packets decoded, on the events' clock. */
  | { type: 'capture'; name: string; port: string; file: string; packets: number; lines: { at_ms: number; text: string }[] }
  /** The lab as drawn at the end of a run (with the nodes added while it ran), for its report. */
  | { type: 'topology'; graph: GraphJson }
  /** Something a service kind saw change (a member DOWN, a VRRP instance MASTER), told in its
   *  kind's words: see `ServiceEvent`. */
  | ServiceEvent
  /** A node gained (held) or lost an address: a VIP or floating IP moving. */
  | { type: 'address'; node: string; address: string; dev: string; held: boolean; at_ms: number }
  /** A port's Neutron port security changed (a step, or `lablb neutron` by hand). */
  | { type: 'security'; port: string; state: string; at_ms: number }
  /** A security group's rules changed: rules as `describeRule` words ("ingress vrrp"). */
  | { type: 'security-group'; group: string; added: string[]; removed: string[]; at_ms: number }
  /** What the screen shows, as of the experiment's start (the lab serving) and its end: each
   *  service's rows as its kind draws them, addresses, NAT and drop counters. */
  | {
      type: 'facts';
      when: 'start' | 'end';
      /** The services panel and the kinds' own panels (a router's NAT counters), as lines. */
      panels: { title: string; lines: string[] }[];
      addresses: Record<string, string[]>;
      security: Record<string, { summary: string; drops: Record<string, number> }>;
    }
  /** Something went wrong that lablb carried on past (a teardown step that failed). */
  | { type: 'problem'; message: string }
  | { type: 'note'; message: string }
  | { type: 'summary'; scenario: string; lab: string; ok: boolean; checks: CheckResult[] };

export type ProbePoint = [at_ms: number, ok: 0 | 1, ms: number];

export type Emit = (event: LabEvent) => void;

/** How an event reads on a screen: good news, bad news, or neither. */
export type EventTone = 'info' | 'good' | 'bad';

/** A service kind's event. The kind makes it whole where it sees the change: `text` is the one
 *  line every reporter prints (the screen, the plain lines, and JSON beside the fields), so no
 *  reporter knows any kind. `event` names the change within the kind ("member", "vrrp"). */
export interface ServiceEvent {
  type: 'service';
  kind: string;
  event: string;
  /** node/service that saw it. */
  source: string;
  text: string;
  tone: EventTone;
  /** The daemon's own words, quoted: shown quieter than lablb's. */
  quoted?: boolean;
  at_ms: number;
  /** The kind's own fields ("member", "status", "state"). */
  [field: string]: string | number | boolean | undefined;
}

/** A kind's event for one of its services. */
export function serviceEvent(
  kind: string,
  service: { node: string; name: string },
  event: string,
  told: { text: string; tone: EventTone; quoted?: boolean },
  fields: Record<string, string | number | undefined>,
  at_ms: number,
): ServiceEvent {
  return { ...fields, type: 'service', kind, event, source: `${service.node}/${service.name}`, ...told, at_ms };
}

/** Each event as one line of text, for the line reporter and the screen's event log. */
export function eventText(e: LabEvent): string | undefined {
  switch (e.type) {
    case 'service':
      return e.text;
    case 'address':
      return e.held ? `${e.node} now holds ${e.address} on ${e.dev}` : `${e.node} no longer holds ${e.address}`;
    case 'security':
      return `${e.port}: ${e.state}`;
    case 'security-group':
      return `security group ${e.group}: ${[...e.added.map((r) => `+ ${r}`), ...e.removed.map((r) => `- ${r}`)].join(', ')}`;
    case 'problem':
    case 'note':
      return e.message;
    default:
      return undefined;
  }
}
