// A run's events folded into what its report draws: the steps on the run's clock, each probe's
// results, a band of states for everything that has one (a VRRP instance, a pool member, an
// amphora, an address moving between nodes), the checks with their figures, and the events.
// Kind-agnostic: a service event with a `state` or `status` is a band, coloured by its tone.
import type { CheckResult, EventTone, LabEvent, ProbePoint } from '../kinds/events.js';
import { eventText } from '../kinds/events.js';
import type { GraphJson } from './graph.js';

export interface StepSpan {
  name: string;
  kind: string;
  from_ms: number;
  /** When its check ended it; missing when the run stopped during it. */
  to_ms?: number;
  ok?: boolean;
  detail?: string;
}

export interface Segment {
  from_ms: number;
  to_ms: number;
  state: string;
  tone: EventTone;
}

export interface Band {
  label: string;
  segments: Segment[];
}

export interface ProbeSeries {
  name: string;
  target: string;
  from: string;
  interval_ms: number;
  samples: ProbePoint[];
  answered: number;
  lost: number;
  /** Answered of the probes sent in each second, in percent. */
  availability: { at_ms: number; percent: number }[];
}

const BUCKET_MS = 1000;

/** Per second of sending: the share of probes answered. */
export function availabilityOf(samples: ProbePoint[]): { at_ms: number; percent: number }[] {
  const buckets = new Map<number, { sent: number; answered: number }>();
  for (const [at, ok] of samples) {
    const key = Math.floor(at / BUCKET_MS) * BUCKET_MS;
    const b = buckets.get(key) ?? { sent: 0, answered: 0 };
    b.sent++;
    b.answered += ok;
    buckets.set(key, b);
  }
  return [...buckets].sort(([a], [b]) => a - b).map(([at_ms, b]) => ({ at_ms, percent: Math.round((100 * b.answered) / b.sent) }));
}

export interface ReportData {
  scenario: string;
  lab: string;
  ok: boolean;
  /** The run's length on the observers' clock: the last thing seen. */
  end_ms: number;
  steps: StepSpan[];
  checks: CheckResult[];
  probes: ProbeSeries[];
  bands: Band[];
  events: { at_ms: number; text: string; tone: EventTone }[];
  /** Capture steps' packets, decoded, and where each pcap is. */
  captures: { name: string; port: string; file: string; packets: number; lines: { at_ms: number; text: string }[] }[];
  graph?: GraphJson;
}

/** What a service event is a state of, and the state, when it has one. */
function stateOf(e: Extract<LabEvent, { type: 'service' }>): { label: string; state: string } | undefined {
  const state = e.state ?? e.status;
  if (state === undefined) return undefined;
  const amphora = typeof e.amphora === 'string' ? `amphora ${e.amphora.slice(0, 8)}` : undefined;
  const subject = e.instance ?? e.member ?? amphora ?? e.event;
  return { label: `${e.source} ${String(subject)}`, state: String(state) };
}

/** Each label's changes, in order, as segments that last until the next change or the end. */
function bandsOf(changes: { label: string; state: string; tone: EventTone; at_ms: number }[], end_ms: number): Band[] {
  const byLabel = new Map<string, typeof changes>();
  for (const c of changes) byLabel.set(c.label, [...(byLabel.get(c.label) ?? []), c]);
  return [...byLabel].map(([label, cs]) => {
    const sorted = [...cs].sort((a, b) => a.at_ms - b.at_ms);
    return {
      label,
      segments: sorted.map((c, i) => ({ from_ms: c.at_ms, to_ms: Math.max(c.at_ms, sorted[i + 1]?.at_ms ?? end_ms), state: c.state, tone: c.tone })),
    };
  });
}

/** Who holds each address, as a band: the node holding it, "nobody" once let go, and both
 *  names when two hold it at once (a split brain). */
function addressChanges(events: LabEvent[]): { label: string; state: string; tone: EventTone; at_ms: number }[] {
  const holders = new Map<string, Set<string>>();
  const changes: { label: string; state: string; tone: EventTone; at_ms: number }[] = [];
  for (const e of events) {
    if (e.type !== 'address') continue;
    const now = holders.get(e.address) ?? new Set<string>();
    holders.set(e.address, now);
    const had = now.has(e.node);
    if (e.held === had) continue; // no change of holder
    if (e.held) now.add(e.node);
    else now.delete(e.node);
    const names = [...now].sort();
    changes.push({ label: `address ${e.address}`, state: names.join(' + ') || 'nobody', tone: names.length === 1 ? 'good' : 'bad', at_ms: e.at_ms });
  }
  return changes;
}

/** The last of a kind of event (a run has one summary; a topology may be told again). */
function lastOf<T extends LabEvent['type']>(events: LabEvent[], type: T): Extract<LabEvent, { type: T }> | undefined {
  for (let i = events.length - 1; i >= 0; i--) if (events[i].type === type) return events[i] as Extract<LabEvent, { type: T }>;
  return undefined;
}

export function reportData(events: LabEvent[]): ReportData {
  const summary = lastOf(events, 'summary');
  if (!summary) throw new Error('no summary: not the whole output of a run');
  const probes = events.flatMap((e) => (e.type === 'probe' ? [e] : []));
  const times = [
    ...events.flatMap((e) => ('at_ms' in e && typeof e.at_ms === 'number' ? [e.at_ms] : [])),
    ...probes.flatMap((p) => (p.samples.length ? [p.samples.at(-1)![0] + p.samples.at(-1)![2]] : [])),
  ];
  const end_ms = Math.max(0, ...times);
  const steps: StepSpan[] = [];
  for (const e of events) {
    if (e.type === 'step') steps.push({ name: e.name, kind: e.kind, from_ms: e.at_ms ?? 0 });
    if (e.type === 'check') {
      const open = [...steps].reverse().find((s) => s.name === e.name && s.to_ms === undefined);
      if (open) Object.assign(open, { to_ms: e.at_ms ?? end_ms, ok: e.ok, detail: e.detail });
    }
  }
  const serviceChanges = events.flatMap((e) => {
    if (e.type !== 'service') return [];
    const s = stateOf(e);
    return s ? [{ ...s, tone: e.tone, at_ms: e.at_ms }] : [];
  });
  return {
    scenario: summary.scenario,
    lab: summary.lab,
    ok: summary.ok,
    end_ms,
    steps,
    checks: summary.checks,
    probes: probes.map((p) => ({
      name: p.name,
      target: p.target,
      from: p.from,
      interval_ms: p.interval_ms,
      samples: p.samples,
      answered: p.samples.filter((s) => s[1] === 1).length,
      lost: p.samples.filter((s) => s[1] === 0).length,
      availability: availabilityOf(p.samples),
    })),
    bands: [...bandsOf(serviceChanges, end_ms), ...bandsOf(addressChanges(events), end_ms)],
    events: events.flatMap((e) => {
      if (!('at_ms' in e) || typeof e.at_ms !== 'number' || e.type === 'step' || e.type === 'check') return [];
      const text = eventText(e);
      const tone: EventTone = e.type === 'service' ? e.tone : 'info';
      return text === undefined ? [] : [{ at_ms: e.at_ms, text, tone }];
    }),
    captures: events.flatMap((e) => (e.type === 'capture' ? [{ name: e.name, port: e.port, file: e.file, packets: e.packets, lines: e.lines }] : [])),
    graph: lastOf(events, 'topology')?.graph,
  };
}

/** A check's measured figures: everything but its name, verdict, words and outage rows. */
export function figuresOf(c: CheckResult): [string, string | number | boolean][] {
  return Object.entries(c).flatMap(([k, v]) =>
    ['name', 'ok', 'detail', 'answers', 'at_ms'].includes(k) || v === undefined || typeof v === 'object' ? [] : [[k, v] as [string, string | number | boolean]],
  );
}
