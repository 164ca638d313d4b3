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

  /** A command that needs only the member's network stack (sysctl net.*, ethtool): entered
   *  with nsenter. `ip netns exec` also gives the command a private mount table, a copy of
   *  every mount on the host, and a lab of 2000 namespaces has 2000 of them. */
  execNet(member: string, argv: string[]): string[] {
    return ['nsenter', `--net=${NETNS_DIR}/${member}`, ...argv];
  },

  /** TX checksum offload off on the member's devices: one nsenter, and for several, xargs runs
   *  ethtool for each name it reads (names lablb checked: no spaces, no quotes). */
  txChecksumOff(member: string, devices: string[]): Op {
    if (devices.length === 1) return { kind: 'run', argv: netns.execNet(member, ['ethtool', '-K', devices[0], 'tx', 'off']) };
    return { kind: 'run', argv: netns.execNet(member, ['xargs', '-n', '3', 'ethtool', '-K']), input: devices.map((d) => `${d} tx off`).join('\n') };
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

  /** Many at once: one `ip -force -batch`, which goes on past one that cannot go. */
  removeMany(names: string[]): { argv: string[]; input: string } {
    return { argv: ['ip', '-force', '-batch', '-'], input: names.map((ns) => `netns del ${ns}`).join('\n') };
  },

  remove(name: string): string[] {
    return ['ip', 'netns', 'del', name];
  },

  exists(host: HostDriver, name: string): boolean {
    return host.exists(`${NETNS_DIR}/${name}`);
  },
};
