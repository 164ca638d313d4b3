// The IPv4 addresses each node holds right now, so a screen and a wait can say which node
// holds a VIP or floating IP (it moves when keepalived fails over). One `ip addr` per node.
import type { Observer, ObserverContext } from '../kinds/service-kind.js';
import { netns } from '../runtime/netns/netns.js';
import type { AddressFact } from '../kinds/facts.js';

export function parseAddrShow(text: string): AddressFact[] {
  const out: AddressFact[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+inet\s+(\d+\.\d+\.\d+\.\d+\/\d+)/.exec(line);
    if (m && m[1] !== 'lo') out.push({ dev: m[1], address: m[2] });
  }
  return out;
}

/** everyMs: addresses change rarely unless something may move them (a VIP). */
export function addressObserver(ctx: ObserverContext, everyMs: number): Observer {
  return {
    id: 'addresses',
    everyMs,
    async poll() {
      await Promise.all(
        ctx.lab.nodes.map(async (node) => {
          const r = await ctx.host.query(netns.ip(node.name, ['-o', '-4', 'addr', 'show']));
          if (r.exitCode !== 0) return;
          const now = parseAddrShow(r.stdout);
          const before = ctx.facts.addresses[node.name];
          if (before) {
            const had = new Set(before.map((a) => a.address));
            const has = new Set(now.map((a) => a.address));
            for (const a of now)
              if (!had.has(a.address)) ctx.emit({ type: 'address', node: node.name, address: a.address, dev: a.dev, held: true, at_ms: ctx.since() });
            for (const a of before)
              if (!has.has(a.address)) ctx.emit({ type: 'address', node: node.name, address: a.address, dev: a.dev, held: false, at_ms: ctx.since() });
          }
          ctx.facts.addresses[node.name] = now;
        }),
      );
    },
  };
}
