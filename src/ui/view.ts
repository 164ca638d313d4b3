// What the live screen shows, as plain data, and the pure functions that fold events and
// observations into it. Components render a LabView; they never talk to the host.
import { probeTarget, type Lab, type LabProbe } from '../model.js';
import { emptyFacts, type AddressFact, type PortSecurityFact } from '../kinds/facts.js';
import type { NodeDetails } from '../observe/node-details.js';
import { eventText, type CheckResult, type EventTone, type LabEvent } from '../kinds/events.js';
import type { Sample } from '../sample.js';
import { servicePanels, type RowPanel } from '../observe/snapshot.js';
import { runtimeOf } from '../runtime/all.js';
import { serviceKindOf } from '../services/all.js';
import { longestOutage, percentile } from '../stats.js';

export type { NodeDetails };
export { servicePanels };

export type StepStatus = 'pending' | 'running' | 'pass' | 'fail';

export interface StepView {
  name: string;
  kind: string;
  status: StepStatus;
  detail?: string;
}

export type Tone = EventTone;

export interface EventLine {
  /** ms since the screen started */
  at: number;
  text: string;
  tone: Tone;
}

export interface TrafficView {
  from: string;
  url: string;
  intervalMs: number;
  requests: number;
  failed: number;
  /** Share of good replies among those sent in the last 5 s (0-1), undefined before any. */
  recentOkRate?: number;
  p50Ms: number;
  lastBody?: string;
  lastError?: string;
  /** One entry per half second, oldest first: the median latency, or null where some failed. */
  spark: (number | null)[];
  /** How long the current outage has lasted, if the latest replies failed. */
  outageMs?: number;
  longestOutageMs: number;
}

export interface LabView {
  lab: Lab;
  mode: 'run' | 'watch';
  phase: 'building' | 'ready' | 'experiment' | 'tearing-down' | 'down';
  datapath?: string;
  build: { started: number; total: number; current?: string; ms?: number };
  /** The services panel, then each kind's own (a router's NAT counters): rows as kinds draw them. */
  panels: RowPanel[];
  addresses: Record<string, AddressFact[]>;
  /** node/port -> its port security and drop counters (ports without it are absent). */
  security: Record<string, PortSecurityFact>;
  /** Addresses the topology labels (a load balancer's VIP), from the kinds. */
  labels: Record<string, string>;
  /** node -> what its runtime says of it ("docker lablb/busybox:1"), where it says something. */
  runtimeLabels: Record<string, string>;
  traffic?: TrafficView;
  steps: StepView[];
  events: EventLine[];
  summary?: { ok: boolean; passed: number; total: number };
  selected?: string;
  details?: NodeDetails;
  help: boolean;
  /** ms since the screen started */
  now: number;
}

export const MAX_EVENTS = 200;
const SPARK_BUCKET_MS = 500;
export const SPARK_BUCKETS = 60;

export function initialView(lab: Lab, mode: LabView['mode']): LabView {
  return {
    lab,
    mode,
    phase: mode === 'watch' ? 'ready' : 'building',
    build: { started: 0, total: 0 },
    // Drawn before any state is read, so the panel keeps its height.
    panels: servicePanels(lab, emptyFacts()),
    addresses: {},
    security: {},
    labels: Object.fromEntries(
      lab.nodes.flatMap((n) =>
        n.services.flatMap(
          (s) =>
            serviceKindOf(s.kind)
              .labels?.(s)
              .map((l) => [l.address, l.label] as const) ?? [],
        ),
      ),
    ),
    runtimeLabels: Object.fromEntries(
      lab.nodes.flatMap((n) => {
        const label = runtimeOf(n).label?.(n);
        return label ? [[n.name, label] as const] : [];
      }),
    ),
    // Watching a lab runs no experiment: no steps to show.
    steps: mode === 'run' ? (lab.experiment?.steps ?? []).map((s) => ({ name: s.name, kind: s.kind, status: 'pending' })) : [],
    events: [],
    help: false,
    now: 0,
  };
}

function addEvent(view: LabView, text: string, tone: Tone): LabView {
  const events = [...view.events, { at: view.now, text, tone }];
  return { ...view, events: events.length > MAX_EVENTS ? events.slice(-MAX_EVENTS) : events };
}

function checkText(c: CheckResult): string {
  return `${c.ok ? 'PASS' : 'FAIL'} ${c.name}: ${c.detail}`;
}

/** Folds one engine or experiment event into the view. */
export function applyEvent(view: LabView, e: LabEvent): LabView {
  switch (e.type) {
    case 'lab':
      if (e.state === 'building')
        return addEvent({ ...view, phase: 'building', datapath: e.datapath }, `building lab ${e.lab} (${e.datapath} datapath)`, 'info');
      if (e.state === 'ready') return addEvent({ ...view, phase: 'ready', build: { ...view.build, ms: e.ms } }, `lab up in ${e.ms} ms`, 'good');
      if (e.state === 'tearing-down') return addEvent({ ...view, phase: 'tearing-down' }, 'tearing down', 'info');
      return addEvent({ ...view, phase: 'down' }, 'lab removed', 'info');
    case 'task':
      return { ...view, build: { ...view.build, started: e.index, total: e.total, current: e.title } };
    case 'step':
      return {
        ...view,
        phase: 'experiment',
        steps: view.steps.map((s) => (s.name === e.name ? { ...s, status: 'running' } : s)),
      };
    case 'check': {
      const known = view.steps.some((s) => s.name === e.name);
      const step: StepView = { name: e.name, kind: '', status: e.ok ? 'pass' : 'fail', detail: e.detail };
      const steps = known ? view.steps.map((s) => (s.name === e.name ? { ...s, status: step.status, detail: e.detail } : s)) : [...view.steps, step];
      return addEvent({ ...view, steps }, checkText(e), e.ok ? 'good' : 'bad');
    }
    case 'service':
      return addEvent(view, e.text, e.tone);
    case 'problem':
      return addEvent(view, e.message, 'bad');
    case 'address':
    case 'security':
    case 'security-group':
    case 'note':
      return addEvent(view, eventText(e)!, 'info');
    // The screen draws the facts live; the snapshot is for readers of lines. A build's timing
    // is for the benchmark; a run's probe results and topology are for its report.
    case 'facts':
    case 'timing':
    case 'probe':
    case 'topology':
    case 'capture':
      return view;
    case 'summary': {
      const passed = e.checks.filter((c) => c.ok).length;
      return { ...view, summary: { ok: e.ok, passed, total: e.checks.length } };
    }
  }
}

/** Traffic as of `nowEpoch`, from the prober's results so far. */
export function trafficView(
  samples: readonly Sample[],
  probe: Pick<LabProbe, 'from' | 'url' | 'tcp' | 'mode' | 'sessions' | 'intervalMs'>,
  nowEpoch: number,
): TrafficView {
  const ordered = [...samples].sort((a, b) => a.seq - b.seq);
  const recent = ordered.filter((s) => s.t >= nowEpoch - 5000);
  const good = ordered.filter((s) => s.ok);
  const spark: (number | null)[] = [];
  const start = nowEpoch - SPARK_BUCKETS * SPARK_BUCKET_MS;
  for (let i = 0; i < SPARK_BUCKETS; i++) {
    const inBucket = ordered.filter((s) => s.t >= start + i * SPARK_BUCKET_MS && s.t < start + (i + 1) * SPARK_BUCKET_MS);
    if (inBucket.length === 0) spark.push(spark.length ? (spark.at(-1) ?? null) : 0);
    else if (inBucket.some((s) => !s.ok)) spark.push(null);
    else
      spark.push(
        percentile(
          inBucket.map((s) => s.ms),
          50,
        ),
      );
  }
  // The current outage: the trailing run of failures, from its first send to now.
  let outageStart: number | undefined;
  for (let i = ordered.length - 1; i >= 0 && !ordered[i].ok; i--) outageStart = ordered[i].t;
  const current = outageStart !== undefined ? nowEpoch - outageStart : undefined;
  const last = ordered.at(-1);
  return {
    from: probe.from,
    url: probeTarget(probe),
    intervalMs: probe.intervalMs,
    requests: ordered.length,
    failed: ordered.length - good.length,
    recentOkRate: recent.length ? recent.filter((s) => s.ok).length / recent.length : undefined,
    p50Ms: percentile(
      recent.filter((s) => s.ok).map((s) => s.ms),
      50,
    ),
    lastBody: last?.ok ? last.body : undefined,
    lastError: last && !last.ok ? last.error : undefined,
    spark,
    outageMs: current,
    longestOutageMs: Math.max(longestOutage(ordered), current ?? 0),
  };
}

const BARS = '▁▂▃▄▅▆▇█';

/** Latency as bar heights, scaled to the largest; a failed half-second is "×". */
export function sparkline(values: (number | null)[]): string {
  const max = Math.max(1, ...values.filter((v): v is number => v !== null));
  return values.map((v) => (v === null ? '×' : BARS[Math.min(BARS.length - 1, Math.floor((v / max) * (BARS.length - 1)))])).join('');
}

export function clock(ms: number): string {
  const s = Math.floor(ms / 1000);
  return `${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}.${Math.floor((ms % 1000) / 100)}`;
}
