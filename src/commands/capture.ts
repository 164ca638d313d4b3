// `lablb capture [lab] <node>:<port>`: tcpdump on one of a node's ports (or, as node "ovs", a
// port of the lab's switch), in that namespace: decoded lines on the terminal, or pcap to a
// file or to stdout for Wireshark (`-w - | wireshark -k -i -`). The filter is tcpdump's own
// expression, its words checked and passed after "--", so none can be read as an option.
import { dirname, resolve } from 'node:path';
import { requireRoot } from '../engine/preflight.js';
import { UserError } from '../errors.js';
import { FILTER_WORD_RULE, filterWordsOf, MAX_FILTER_CHARS } from '../net/bpf.js';
import type { Lab, LabNode, LabSwitch } from '../model.js';
import { onSwitch } from '../plan/plan.js';
import { runtimeOf } from '../runtime/all.js';
import { hostSwitch, labWithNode } from './common.js';
import type { CommandContext } from './context.js';
import { SWITCH_NODE } from './exec.js';

/** timeout(1)'s exit code when the time ran out. */
const TIMED_OUT = 124;

export interface CaptureOptions {
  /** A pcap file, or "-" for pcap on stdout; without it, decoded lines. */
  write?: string;
  filter?: string;
  /** Stop after this many packets... */
  count?: string;
  /** ...or this many seconds. */
  duration?: string;
  host?: string;
}

/** The filter's words, or a UserError naming the first word that is not a filter's. */
export function filterWords(filter: string | undefined): string[] {
  if (filter === undefined) return [];
  const { words, bad, tooLong } = filterWordsOf(filter);
  if (tooLong) throw new UserError(`--filter is longer than ${MAX_FILTER_CHARS} characters`, 'e.g. --filter "vrrp or arp"');
  if (bad !== undefined)
    throw new UserError(
      `--filter: ${JSON.stringify(bad)} is not a word of a tcpdump filter (${FILTER_WORD_RULE})`,
      'e.g. --filter "vrrp or arp", --filter "tcp port 80 and host 10.0.0.3"',
    );
  return words;
}

/** A whole number in a range, from an option's text. */
function bounded(text: string | undefined, what: string, max: number): number | undefined {
  if (text === undefined) return undefined;
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > max)
    throw new UserError(`${what}: ${JSON.stringify(text)} is not a whole number from 1 to ${max}`);
  return Number(text);
}

/** "node:port" -> both, or a UserError. */
export function parseTarget(target: string, verb = 'capture'): { node: string; port: string } {
  const m = /^([A-Za-z0-9_.-]{1,64}):([A-Za-z0-9_.-]{1,15})$/.exec(target);
  if (!m) throw new UserError(`${verb} takes node:port, got ${JSON.stringify(target)}`, `e.g. sudo lablb ${verb} floating-ip-lb vm1:eth0`);
  return { node: m[1], port: m[2] };
}

/** Where a capture runs, checked against the lab's record: a member's port (reached through
 *  its runtime) or a port of the lab's switch (a command on the switch). */
export type CaptureSite = { device: string } & ({ member: LabNode } | { switch: LabSwitch });

export function captureSite(lab: Lab, node: string, port: string, host?: string): CaptureSite {
  if (node === SWITCH_NODE) {
    const sw = hostSwitch(lab, host);
    const ports = lab.nodes.flatMap((n) => n.ports.filter((p) => p.type === 'veth' && (!host || n.host === host)).map((p) => p.bridgePort));
    if (!ports.includes(port))
      throw new UserError(
        `the switch has no port ${port} lablb plugged`,
        `its ports to nodes: ${ports.join(', ') || '(none: internal ports live in their nodes)'}`,
      );
    return { device: port, switch: sw };
  }
  const member = lab.nodes.find((n) => n.name === node)!;
  if (host !== undefined && member.host !== host)
    throw new UserError(`${node} is ${member.host ? `on host ${member.host}` : "on the lab's one switch"}, not on ${host}`);
  const names = member.ports.map((p) => p.name);
  if (!names.includes(port) && port !== 'any') throw new UserError(`${node} has no port ${port}`, `its ports: ${[...names, 'any'].join(', ')}`);
  return { device: port, member };
}

interface Checked {
  pcap: boolean;
  count?: number;
  duration?: number;
  filter: string[];
}

/** The options, checked: a UserError for the first that is wrong. */
export function checkOptions(opts: CaptureOptions): Checked {
  return {
    pcap: opts.write !== undefined,
    count: bounded(opts.count, '--count', 10_000_000),
    duration: bounded(opts.duration, '--duration', 86_400),
    filter: filterWords(opts.filter),
  };
}

/** tcpdump's command line, in the node's network namespace; `timeout` ends it after a duration
 *  with SIGINT, which makes tcpdump flush what it has. */
export function captureArgv(site: CaptureSite, o: Checked): string[] {
  const output = o.pcap ? ['-U', '-w', '-'] : ['-n', '-l'];
  const tcpdump = ['tcpdump', '-i', site.device, ...output, ...(o.count ? ['-c', String(o.count)] : []), '--', ...o.filter];
  const argv = o.duration ? ['timeout', '-s', 'INT', String(o.duration), ...tcpdump] : tcpdump;
  return 'member' in site ? runtimeOf(site.member).inNetwork(site.member, argv) : onSwitch(site.switch, argv).argv;
}

export async function capture(args: string[], labName: string | undefined, opts: CaptureOptions, ctx: CommandContext): Promise<number> {
  if (args.length === 0 || args.length > 2) throw new UserError('capture takes [lab] node:port', 'e.g. sudo lablb capture floating-ip-lb vm1:eth0 -w vm1.pcap');
  const [lab, targetText] = args.length === 2 ? [args[0], args[1]] : [labName, args[0]];
  const { node, port } = parseTarget(targetText);
  const checked = checkOptions(opts);
  requireRoot(ctx.host, 'capture');
  const site = captureSite(labWithNode(node, lab, SWITCH_NODE), node, port, opts.host);
  // pcap goes to a file lablb opens (tcpdump itself drops to its own user) or to stdout.
  const toFile = opts.write !== undefined && opts.write !== '-' ? resolve(opts.write) : undefined;
  if (toFile && !ctx.host.exists(dirname(toFile))) throw new UserError(`-w ${opts.write}: no directory ${dirname(toFile)}`);
  if (toFile) ctx.err(`capturing on ${node}:${port} into ${toFile} (Ctrl-C stops)`);
  const code = await ctx.host.runAttached(captureArgv(site, checked), undefined, toFile ? { stdoutFile: toFile } : undefined);
  // timeout(1) says 124 when it ended tcpdump: the capture ran its whole duration.
  return checked.duration !== undefined && code === TIMED_OUT ? 0 : code;
}
