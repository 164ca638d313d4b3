// The member runtime: where a node lives and how to reach it. Today every member is a named
// network namespace; this module is the one place that knows how to create one, run a
// command or a daemon in it, and remove it (a Docker runtime will sit beside it).
import type { HostDriver } from '../../host.js';
import type { JournalEntry, Op } from '../../kinds/ops.js';

export const NETNS_DIR = '/run/netns';

export const netns = {
  /** One `ip -batch` for every namespace of a lab, each journaled before it exists. */
  create(names: string[]): Op {
    return {
      kind: 'run',
      argv: ['ip', '-batch', '-'],
      input: names.map((ns) => `netns add ${ns}`).join('\n'),
      creates: names.map((name): JournalEntry => ({ kind: 'netns', name })),
    };
  },

  /** A command run inside the member. */
  exec(member: string, argv: string[]): string[] {
    return ['ip', 'netns', 'exec', member, ...argv];
  },

  /** An `ip` command about the member's own links, addresses and routes. */
  ip(member: string, args: string[]): string[] {
    return ['ip', '-n', member, ...args];
  },

  /** Many `ip` commands in one process (the main cost of building a lab is one per command). */
  ipBatch(member: string, lines: string[]): Op {
    return { kind: 'run', argv: ['ip', '-n', member, '-batch', '-'], input: lines.join('\n') };
  },

  /** Names a running process's network namespace after the member (a container's). */
  attach(member: string, pid: string): string[] {
    return ['ip', 'netns', 'attach', member, pid];
  },

  remove(name: string): string[] {
    return ['ip', 'netns', 'del', name];
  },

  exists(host: HostDriver, name: string): boolean {
    return host.exists(`${NETNS_DIR}/${name}`);
  },
};
