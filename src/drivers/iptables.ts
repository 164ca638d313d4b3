// Packet counters of the rules in a namespace's nat table, keyed by the rule as iptables-save
// prints it (-A chain ...).
import { query } from './process.js';

export function parseSaveCounters(text: string): Map<string, number> {
  const counters = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^\[(\d+):(\d+)\] (-A .*)$/.exec(line.trim());
    if (m) counters.set(m[3], Number(m[1]));
  }
  return counters;
}

export async function natCounters(ns: string): Promise<Map<string, number>> {
  const r = await query(['ip', 'netns', 'exec', ns, 'iptables-save', '-c', '-t', 'nat']);
  if (r.exitCode !== 0) throw new Error(`iptables-save in ${ns} failed: ${r.stderr.trim()}`);
  return parseSaveCounters(r.stdout);
}
