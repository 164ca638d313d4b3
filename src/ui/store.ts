// The live screen's state: folds engine events, observer polls and prober results into a
// LabView, and hands components a new snapshot when something changed
// (useSyncExternalStore). It also takes the screen's few actions (select a node, help).
import type { HostDriver } from '../host.js';
import type { Lab } from '../model.js';
import type { Facts } from '../kinds/facts.js';
import { nodeDetails } from '../observe/node-details.js';
import type { LabEvent } from '../kinds/events.js';
import type { Reporter } from '../report/reporters.js';
import { safeDeep } from '../safe-text.js';
import { applyEvent, initialView, servicePanels, trafficView, type LabView } from './view.js';

/** Where the screen reads the lab's state: the observers' facts (an Observation polls them at
 *  each observer's pace), and the host for a node's details on demand. */
export interface LiveSources {
  facts?: Facts;
  host?: HostDriver;
}

/** Everything a frame shows, as one string: equal keys draw equal frames. */
export function visibleKey(v: LabView): string {
  return JSON.stringify([
    v.phase,
    v.datapath,
    v.build,
    v.panels,
    v.addresses,
    v.security,
    v.traffic,
    v.steps,
    v.events.length,
    v.summary,
    v.selected,
    v.details,
    v.help,
    Math.floor(v.now / 1000),
  ]);
}

export class LiveStore implements Reporter {
  private view: LabView;
  private readonly listeners = new Set<() => void>();
  private sources: LiveSources = {};
  private timer?: NodeJS.Timeout;
  private readonly started = Date.now();
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
    // Log lines, container output and scenario text reach the screen only with escapes visible.
    const view = safeDeep({ ...next, now: Date.now() - this.started });
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

  /** Reads the facts every intervalMs (2 Hz by default) until stop(). */
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
    const { facts } = this.sources;
    if (!facts) return;
    let view = { ...this.view, panels: servicePanels(this.view.lab, facts), addresses: { ...facts.addresses }, security: facts.security };
    // The screen's traffic panel shows the first probe.
    const probe = view.lab.experiment?.probes[0];
    const samples = probe ? facts.probes[probe.name] : undefined;
    if (probe && samples) view = { ...view, traffic: trafficView(samples, probe, Date.now()) };
    this.set(view);
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
    if (!this.sources.host) return;
    const details = await nodeDetails(this.sources.host, this.view.lab, node);
    if (this.detailsOpen && this.view.selected === node) this.set({ ...this.view, details });
  }
}
