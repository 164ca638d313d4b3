// VRRP state of every keepalived instance in a lab, from keepalived's own log ("(VR_1) Entering
// MASTER STATE"), read incrementally: no process per poll.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { KeepalivedService, Lab } from '../model.js';
import { allServices } from '../model.js';
import type { Emit } from '../report/events.js';

export interface VrrpState {
  node: string;
  service: string;
  instance: string;
  vrid: number;
  priority: number;
  state: string;
}

/** Every state change in keepalived's log text, in order. */
export function vrrpTransitions(text: string): { instance: string; state: string }[] {
  return [...text.matchAll(/\((\S+)\) Entering (\w+) STATE/g)].map((m) => ({ instance: m[1], state: m[2] }));
}

/** The last state each instance entered. */
export function parseVrrpLog(text: string): Map<string, string> {
  return new Map(vrrpTransitions(text).map((t) => [t.instance, t.state]));
}

export class KeepalivedWatch {
  readonly states: VrrpState[];
  private readonly services: KeepalivedService[];
  private readonly offsets = new Map<string, number>();

  constructor(lab: Lab, private readonly emit: Emit) {
    this.services = allServices(lab).filter((s): s is KeepalivedService => s.kind === 'keepalived');
    this.states = this.services.flatMap((s) =>
      s.instances.map((i) => ({ node: s.node, service: s.name, instance: i.name, vrid: i.vrid, priority: i.priority, state: 'INIT' })),
    );
  }

  async poll(): Promise<void> {
    for (const s of this.services) {
      const text = this.readNew(s.logfile);
      if (!text) continue;
      // Every change, in order: a MASTER that lasted less than a poll is still an event.
      for (const { instance, state } of vrrpTransitions(text)) {
        const st = this.states.find((x) => x.node === s.node && x.service === s.name && x.instance === instance);
        if (st && st.state !== state) {
          st.state = state;
          this.emit({ type: 'note', message: `${s.node}/${s.name} ${instance}: ${state}` });
        }
      }
    }
  }

  private readNew(file: string): string {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      return '';
    }
    const from = this.offsets.get(file) ?? 0;
    if (size <= from) return '';
    const buf = Buffer.alloc(size - from);
    const fd = openSync(file, 'r');
    try {
      readSync(fd, buf, 0, buf.length, from);
    } finally {
      closeSync(fd);
    }
    // Keep a partly written last line for the next poll.
    const text = buf.toString('utf8');
    const end = text.lastIndexOf('\n') + 1;
    this.offsets.set(file, from + Buffer.byteLength(text.slice(0, end)));
    return text.slice(0, end);
  }
}
