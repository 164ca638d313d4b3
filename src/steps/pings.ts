// Pings from a node to many addresses at once, in the node's network stack (one process there,
// xargs starting a ping per address): which answered, and when each first answered.
import type { HostDriver } from '../host.js';
import type { Lab, LabNode } from '../model.js';
import { runtimeOf } from '../runtime/all.js';
import { serviceKindOf } from '../services/all.js';

/** Pings side by side: enough to hide each one's round trip, few enough for two cores. */
export const AT_ONCE = 8;

/** Every address the lab's services are reached at from outside (the routers' floating IPs). */
export function floatingIpsOf(lab: Lab): string[] {
  return floatingIpsOfNodes(lab.nodes);
}

/** The floating IPs of some nodes' routers. */
export function floatingIpsOfNodes(nodes: LabNode[]): string[] {
  // An HA router's address is listed by both its instances: one ping each.
  return [...new Set(nodes.flatMap((n) => n.services.flatMap((s) => serviceKindOf(s.kind).reachableAt?.(s.spec) ?? [])))];
}

/** xargs starting a ping per address read from its input, `atOnce` side by side. */
const pingsSideBySide = (atOnce: number, ping: string[]) => ['xargs', '-P', String(atOnce), '-n', '1', 'ping', ...ping];

/** One process in the node's network stack pinging every target: what the pings printed. */
async function pingFrom(host: HostDriver, from: LabNode, targets: string[], argv: string[], timeoutMs: number): Promise<string> {
  const r = await host.run(runtimeOf(from).inNetwork(from, argv), { input: targets.join('\n'), allowFailure: true, timeoutMs });
  return r.stdout;
}

export const PING_EACH = pingsSideBySide(AT_ONCE, ['-c', '1', '-W', '2', '-q']);

/** The targets that did not answer: one process in the node's network stack, xargs starting a
 *  ping per address, each
 *  ping's summary ("--- 172.24.10.3 ping statistics --- 1 packets transmitted, 1 received"). */
export async function pingEach(host: HostDriver, from: LabNode, targets: string[]): Promise<string[]> {
  if (targets.length === 0) return [];
  const replies = parseReplies(await pingFrom(host, from, targets, PING_EACH, 10_000 + targets.length * 500));
  return targets.filter((ip) => !replies.get(ip)?.received);
}

/** A round of pings per silent address: five, 200 ms apart, so an answer's time is known to
 *  a fifth of a second; rounds follow each other until every address answered. (One ping
 *  waiting with -w until its first reply would end at the first "unreachable" instead.) */
const ROUND = ['-D', '-n', '-c', '5', '-i', '0.2', '-W', '1'];
/** The most pings of a round at once (one process each). */
const ROUND_AT_ONCE = 64;

/** When each address first answers a ping, trying until `deadline` (ms since the epoch): ms
 *  since the epoch, from ping's own timestamps (-D); absent for one that never answered. */
export async function firstAnswers(host: HostDriver, from: LabNode, targets: string[], deadline: number, signal?: AbortSignal): Promise<Map<string, number>> {
  const answered = new Map<string, number>();
  let silent = targets;
  while (silent.length > 0 && Date.now() < deadline && !signal?.aborted) {
    const out = await pingFrom(host, from, silent, pingsSideBySide(Math.min(silent.length, ROUND_AT_ONCE), ROUND), 10_000 + silent.length * 100);
    for (const [ip, at] of parseFirstAnswers(out)) if (!answered.has(ip)) answered.set(ip, at);
    silent = silent.filter((ip) => !answered.has(ip));
  }
  return answered;
}

/** "[1733329000.123456] 64 bytes from 172.24.4.100: icmp_seq=3 ttl=63 time=0.5 ms" -> the
 *  address and its time in ms; the first reply of each address. */
export function parseFirstAnswers(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of text.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from (\d+\.\d+\.\d+\.\d+):/gm)) if (!out.has(m[2])) out.set(m[2], Math.round(Number(m[1]) * 1000));
  return out;
}

/** Watching for loss: 5 pings a second per address, fewer with many addresses, so that all of
 *  them together send at most 100 a second (the userspace datapath's CPU is the hosts'). */
const WATCH_FASTEST_MS = 200;
const WATCH_MOST_PER_SECOND = 100;
export const watchIntervalMs = (targets: number) => Math.max(WATCH_FASTEST_MS, Math.ceil((targets * 1000) / WATCH_MOST_PER_SECOND / 100) * 100);
/** The most watching pings at once (one sleeping process each). */
const WATCH_AT_ONCE = 128;

export interface Watched {
  intervalMs: number;
  /** Pings sent to each address. */
  count: number;
  replies: Map<string, { sent: number; received: number }>;
}

/** Each address pinged for `windowMs`, all side by side (over 128 addresses, the rest after):
 *  how many replies each got. For traffic that should not notice a failure (a DVR router's
 *  floating IP while a network node dies). */
export async function repliesOver(host: HostDriver, from: LabNode, targets: string[], windowMs: number): Promise<Watched> {
  const intervalMs = watchIntervalMs(targets.length);
  const count = Math.max(1, Math.ceil(windowMs / intervalMs));
  if (targets.length === 0) return { intervalMs, count, replies: new Map() };
  const argv = pingsSideBySide(Math.min(targets.length, WATCH_AT_ONCE), ['-n', '-q', '-c', String(count), '-i', String(intervalMs / 1000), '-W', '1']);
  const rounds = Math.ceil(targets.length / WATCH_AT_ONCE);
  const out = await pingFrom(host, from, targets, argv, 10_000 + rounds * count * intervalMs * 2);
  return { intervalMs, count, replies: parseReplies(out) };
}

/** "--- 172.24.6.2 ping statistics ---\n75 packets transmitted, 74 received, ..." per address. */
export function parseReplies(text: string): Map<string, { sent: number; received: number }> {
  const out = new Map<string, { sent: number; received: number }>();
  for (const m of text.matchAll(/--- (\S+) ping statistics ---\n(\d+) packets transmitted, (\d+) received/g))
    out.set(m[1], { sent: Number(m[2]), received: Number(m[3]) });
  return out;
}
