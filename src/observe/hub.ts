// One place that observes a running lab: every service kind's observer (named after its kind),
// the addresses each node holds and the routers' NAT counters, folded into one set of facts.
// The experiment's waits, its checks and the screen all read these facts; observers emit typed
// events as things change. Each observer is polled at its own pace, and faster on demand.
import type { HostDriver } from '../host.js';
import type { Observer, ObserverContext } from '../kinds/service-kind.js';
import type { Lab, LabService } from '../model.js';
import type { Emit } from '../kinds/events.js';
import type { Sample } from '../sample.js';
import { SERVICE_KINDS, serviceKindOf } from '../services/all.js';
import { addressObserver } from './address-watch.js';
import { emptyFacts, type Facts } from '../kinds/facts.js';
import { securityObserver } from './security-watch.js';
import { Slots } from '../slots.js';

/** Reads of the host at once, across all observers: a process per namespace each. */
const QUERIES_AT_ONCE = 8;
/** An observer waits this many times its last poll's length before the next. */
const POLL_SHARE = 4;

export class Observation {
  readonly facts: Facts = emptyFacts();
  private observers: Observer[];
  /** Each kind's observer, and the services it was made for. */
  private readonly byKind = new Map<string, { services: LabService[]; observer: Observer }>();
  private readonly ctx: ObserverContext;
  private readonly lastPolled = new Map<string, number>();
  private readonly inFlight = new Map<string, Promise<void>>();
  /** When observing started (ms since the epoch): events' at_ms count from here. */
  readonly started = Date.now();
  private timer?: NodeJS.Timeout;
  private tickMs?: number;
  private readonly told = new Set<string>();
  private readonly pollMs = new Map<string, number>();
  private stopped = false;

  constructor(
    lab: Lab,
    host: HostDriver,
    private readonly emit: Emit,
  ) {
    // Observers read through a few slots, and say nothing once observing stopped (a large lab's
    // last poll may end while it is torn down, and its vanishing addresses are no news).
    const reads = new Slots(QUERIES_AT_ONCE);
    const limited: HostDriver = Object.create(host, { query: { value: (argv: string[], t?: number) => reads.use(() => host.query(argv, t)) } });
    const quiet: Emit = (e) => {
      if (!this.stopped) emit(e);
    };
    const ctx: ObserverContext = { lab, host: limited, facts: this.facts, emit: quiet, since: () => this.since() };
    this.ctx = ctx;
    const services = lab.nodes.flatMap((n) => n.services);
    // Addresses change rarely, unless a kind may move one (a VIP): then every second.
    const movable = services.some((s) => serviceKindOf(s.kind).movesAddresses || serviceKindOf(s.kind).claims?.(s.spec).length);
    this.observers = [securityObserver(ctx), addressObserver(ctx, movable ? 1000 : 10_000)].filter((o): o is Observer => o !== undefined);
    this.nodesChanged();
  }

  /** Ms since observing started: the clock of every event's at_ms. */
  since(): number {
    return Date.now() - this.started;
  }

  /** The lab's nodes changed (a step added or removed one): each kind observes the services it
   *  has now, so a load balancer that joins at run time is watched like one built with the lab. */
  nodesChanged(): void {
    const services = this.ctx.lab.nodes.flatMap((n) => n.services);
    for (const kind of SERVICE_KINDS.filter((k) => k.observer)) {
      const mine = services.filter((s) => s.kind === kind.kind);
      const had = this.byKind.get(kind.kind);
      if (had && had.services.length === mine.length && had.services.every((s, i) => s === mine[i])) continue;
      if (had) {
        had.observer.close?.();
        this.observers = this.observers.filter((o) => o !== had.observer);
        this.byKind.delete(kind.kind);
      }
      if (mine.length === 0) continue;
      const observer: Observer = { ...kind.observer!(mine, this.ctx), id: kind.kind };
      this.byKind.set(kind.kind, { services: mine, observer });
      this.observers.unshift(observer);
    }
  }

  /** A probe's results, read live as they arrive. */
  addProbe(name: string, samples: readonly Sample[]): void {
    this.facts.probes[name] = samples;
  }

  /** Polls these observers now (all when none are named); a poll already running is joined. */
  async poll(ids?: string[]): Promise<void> {
    await Promise.all(this.observers.filter((o) => !ids || ids.includes(o.id)).map((o) => this.pollOne(o)));
  }

  private pollOne(o: Observer): Promise<void> {
    const running = this.inFlight.get(o.id);
    if (running) return running;
    const t0 = Date.now();
    this.lastPolled.set(o.id, t0);
    const p = o
      .poll()
      .catch((err: unknown) => this.tell(o.id, err))
      .finally(() => {
        this.inFlight.delete(o.id);
        this.pollMs.set(o.id, Date.now() - t0);
      });
    this.inFlight.set(o.id, p);
    return p;
  }

  /** An observer that failed in a way it did not expect is told, once per message: polling
   *  goes on (the next poll may succeed), and nobody is left wondering why a panel is empty. */
  private tell(id: string, err: unknown): void {
    const message = `observer ${id}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
    if (this.told.has(message)) return;
    this.told.add(message);
    this.emit({ type: 'problem', message });
  }

  /** Polls each observer when its interval is due, checking every tickMs, until stop(). A
   *  faster start wins over a slower one (the experiment's over the screen's). */
  start(tickMs: number): void {
    if (this.tickMs !== undefined && this.tickMs <= tickMs) return;
    this.stop();
    this.stopped = false;
    this.tickMs = tickMs;
    const tick = async () => {
      const now = Date.now();
      await Promise.all(this.observers.filter((o) => now - (this.lastPolled.get(o.id) ?? 0) >= this.intervalOf(o, tickMs)).map((o) => this.pollOne(o)));
      // stop() may have come while the poll was in flight: do not schedule another.
      if (this.tickMs === tickMs) this.timer = setTimeout(tick, tickMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  /** Its own pace, but an observer whose poll takes long (a thousand routers' counters) waits
   *  POLL_SHARE times that long before the next, so observing never crowds out the lab. */
  private intervalOf(o: Observer, tickMs: number): number {
    return Math.max(o.everyMs, tickMs, POLL_SHARE * (this.pollMs.get(o.id) ?? 0));
  }

  stop(): void {
    this.stopped = true;
    for (const o of this.observers) o.close?.();
    clearTimeout(this.timer);
    this.timer = undefined;
    this.tickMs = undefined;
  }
}
