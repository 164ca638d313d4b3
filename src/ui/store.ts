// The live screen's state: folds engine events, observer polls and prober results into a
// LabView, and hands components a new snapshot when something changed
// (useSyncExternalStore). It also takes the screen's few actions (select a node, help).
import type { Prober } from '../experiment/prober-client.js';
import type { Lab } from '../model.js';
import type { AddressWatch } from '../observe/address-watch.js';
import type { HaproxyWatch } from '../observe/haproxy-watch.js';
import type { KeepalivedWatch } from '../observe/keepalived-watch.js';
import type { NatWatch } from '../observe/nat-watch.js';
import { nodeDetails } from '../observe/node-details.js';
import type { LabEvent } from '../report/events.js';
import type { Reporter } from '../report/reporters.js';
import { applyEvent, applyNat, initialView, trafficView, type LabView } from './view.js';

export interface LiveSources {
  haproxy?: HaproxyWatch;
  keepalived?: KeepalivedWatch;
  nat?: NatWatch;
  addresses?: AddressWatch;
  prober?: Prober;
}

/** State is polled every tick (2 Hz): members and traffic each tick; NAT counters, a process
 *  each time, every 4th (2 s); addresses, which change rarely (a VIP moving) and cost a process
 *  per node, every 20th (10 s). */
const NAT_EVERY = 4;
const ADDRESS_EVERY = 20;

/** Everything a frame shows, as one string: equal keys draw equal frames. */
export function visibleKey(v: LabView): string {
  return JSON.stringify([
    v.phase, v.datapath, v.build, v.members, v.vrrp, v.nat, v.addresses, v.traffic, v.steps, v.events.length,
    v.summary, v.selected, v.details, v.help, Math.floor(v.now / 1000),
  ]);
}

export class LiveStore implements Reporter {
  private view: LabView;
  private readonly listeners = new Set<() => void>();
  private sources: LiveSources = {};
  private timer?: NodeJS.Timeout;
  private ticks = 0;
  private readonly started = Date.now();
  private polling = false;
  private running = false;
  private key = '';

  constructor(lab: Lab, mode: LabView['mode']) {
    this.view = initialView(lab, mode);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): LabView => this.view;

  private set(next: LabView): void {
    const view = { ...next, now: Date.now() - this.started };
    // A frame costs tens of ms in ink: publish (and so redraw) only when what the screen shows
    // changed. State is still collected every tick; an idle lab redraws once a second (clock).
    const key = visibleKey(view);
    if (key === this.key) return;
    this.key = key;
    this.view = view;
    for (const l of this.listeners) l();
  }

  event = (e: LabEvent): void => this.set(applyEvent({ ...this.view, now: Date.now() - this.started }, e));

  attach(sources: LiveSources): void {
    this.sources = { ...this.sources, ...sources };
  }

  /** Polls the observers every intervalMs (2 Hz by default) until stop(). */
  start(intervalMs = 500): void {
    this.running = true;
    const tick = async () => {
      await this.poll();
      // stop() may have come while the poll was in flight: do not schedule another.
      if (this.running) this.timer = setTimeout(tick, intervalMs);
    };
    this.timer = setTimeout(tick, 0);
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const { haproxy, keepalived, nat, addresses, prober } = this.sources;
      const tick = this.ticks++;
      await Promise.all([haproxy?.poll(), keepalived?.poll(), tick % NAT_EVERY === 0 ? nat?.poll() : undefined, tick % ADDRESS_EVERY === 0 ? addresses?.poll() : undefined]);
      let view = this.view;
      if (haproxy) view = { ...view, members: [...haproxy.members.values()] };
      if (keepalived) view = { ...view, vrrp: keepalived.states.map((s) => ({ ...s })) };
      if (nat) view = applyNat(view, nat.rules);
      if (addresses) view = { ...view, addresses: Object.fromEntries(addresses.addresses) };
      const probe = view.lab.experiment?.probe;
      if (prober && probe) view = { ...view, traffic: trafficView(prober.samples, probe, Date.now()) };
      this.set(view);
    } finally {
      this.polling = false;
    }
  }

  // Actions from the keyboard.

  toggleHelp(): void {
    this.set({ ...this.view, help: !this.view.help });
  }

  /** The nodes a person can select: every namespace, the switch last. */
  selectable(): string[] {
    return [...this.view.lab.nodes.map((n) => n.name), 'ovs'];
  }

  moveSelection(step: 1 | -1): void {
    const names = this.selectable();
    const i = this.view.selected ? names.indexOf(this.view.selected) : -1;
    const next = names[(i + step + names.length) % names.length];
    // With details open, they follow the selection (the old node's go until the new ones load).
    this.set({ ...this.view, selected: next, details: undefined });
    if (this.detailsOpen) void this.loadDetails(next);
  }

  private detailsOpen = false;

  async toggleDetails(): Promise<void> {
    this.detailsOpen = !this.detailsOpen;
    if (!this.detailsOpen || !this.view.selected) {
      this.detailsOpen = false;
      this.set({ ...this.view, details: undefined });
      return;
    }
    await this.loadDetails(this.view.selected);
  }

  closeDetails(): void {
    this.detailsOpen = false;
    this.set({ ...this.view, details: undefined, help: false });
  }

  private async loadDetails(node: string): Promise<void> {
    const details = await nodeDetails(this.view.lab, node);
    if (this.detailsOpen && this.view.selected === node) this.set({ ...this.view, details });
  }
}
