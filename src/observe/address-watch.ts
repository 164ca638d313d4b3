// The IPv4 addresses each node holds right now, so a screen can say which namespace holds a VIP
// or floating IP (it moves when keepalived fails over). One `ip -n NS -o -4 addr` per node.
import { query } from '../drivers/process.js';
import type { Lab } from '../model.js';
import type { Emit } from '../report/events.js';

export function parseAddrShow(text: string): { dev: string; address: string }[] {
  const out: { dev: string; address: string }[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
    if (m && m[1] !== 'lo') out.push({ dev: m[1], address: m[2] });
  }
  return out;
}

export class AddressWatch {
  /** node -> "dev address/prefix" entries */
  readonly addresses = new Map<string, { dev: string; address: string }[]>();

  constructor(private readonly lab: Lab, private readonly emit: Emit) {}

  async poll(): Promise<void> {
    await Promise.all(
      this.lab.nodes.map(async (node) => {
        const r = await query(['ip', '-n', node.name, '-o', '-4', 'addr', 'show']);
        if (r.exitCode !== 0) return;
        const now = parseAddrShow(r.stdout);
        const before = this.addresses.get(node.name);
        if (before) {
          const had = new Set(before.map((a) => a.address));
          const has = new Set(now.map((a) => a.address));
          for (const a of now) if (!had.has(a.address)) this.emit({ type: 'note', message: `${node.name} now holds ${a.address} on ${a.dev}` });
          for (const a of before) if (!has.has(a.address)) this.emit({ type: 'note', message: `${node.name} no longer holds ${a.address}` });
        }
        this.addresses.set(node.name, now);
      }),
    );
  }
}
