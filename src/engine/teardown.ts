// Removes a lab: exactly what its journal and its process tokens name, in reverse order, each
// step safe to repeat. Works on a lab that crashed half-built, and on one whose objects a
// reboot already removed. Nothing that fails is hidden: it is reported, and stays in the
// journal (with the state dir) for `clean` to retry.
import { basename } from 'node:path';
import type { HostDriver } from '../host.js';
import type { JournalEntry } from '../kinds/ops.js';
import { RUNTIMES } from '../runtime/all.js';
import { netns } from '../runtime/netns/netns.js';
import { Journal } from './journal.js';

export interface TeardownResult {
  lab: string;
  processes: number;
  namespaces: string[];
  /** Experiment changes reverted (a link brought up again). */
  undone: string[];
  /** Members their runtime removed (containers), before their namespaces. */
  containers: number;
  /** Kernel modules loaded while the lab lived, unloaded again. */
  modules: string[];
  /** Those still in use (by something else now): left loaded, and told. */
  modulesInUse: string[];
  /** What could not be removed, each with the command's error. */
  failures: string[];
}

/** Unloads the modules the kernel loaded while the lab lived (veth, NAT on first use in a
 *  namespace), each once nothing uses it: rmmod one at a time, since modprobe -r would also
 *  take dependencies that were loaded before. Deleted namespaces release their devices a
 *  moment later, so it tries for about a second; one still in use is left, and told. */
async function unloadModules(before: string[], host: HostDriver): Promise<{ unloaded: string[]; inUse: string[] }> {
  const old = new Set(before);
  const added = () => [...(host.kernelModules() ?? new Map<string, number>())].filter(([name]) => !old.has(name));
  const unloaded: string[] = [];
  // One read of /proc/modules a pass: what is left, then an rmmod for each one nobody uses.
  let left = added();
  for (let pass = 0; pass < 20 && left.length > 0; pass++) {
    if (pass > 0) await new Promise((r) => setTimeout(r, 50));
    for (const [name, users] of left) {
      if (users === 0 && (await host.run(['rmmod', name], { allowFailure: true })).exitCode === 0) unloaded.push(name);
    }
    left = added();
  }
  return { unloaded, inUse: left.map(([name]) => name) };
}

export async function teardownLab(dir: string, host: HostDriver): Promise<TeardownResult> {
  const lab = basename(dir);
  const journal = Journal.open(dir);
  const record = journal.readRecord();
  if (record) journal.writeRecord({ ...record, state: 'tearing-down' });
  const entries = journal.entries();
  const left: JournalEntry[] = [];
  const failures: string[] = [];
  const attempt = async (entry: JournalEntry, argv: string[], what: string): Promise<boolean> => {
    const r = await host.run(argv, { allowFailure: true });
    if (r.exitCode === 0) return true;
    failures.push(`${what}: ${argv.join(' ')} failed (exit ${r.exitCode}): ${r.stderr.trim() || 'no message'}`);
    left.push(entry);
    return false;
  };

  // Changes an experiment made and did not revert, newest first, while their members exist.
  const settled = new Set(entries.flatMap((e) => (e.kind === 'settled' ? [e.id] : [])));
  const undone: string[] = [];
  for (const entry of [...entries].reverse()) {
    if (entry.kind !== 'undo' || settled.has(entry.id)) continue;
    if (entry.member && !netns.exists(host, entry.member)) continue;
    if (await attempt(entry, entry.argv, `undo ${entry.what}`)) undone.push(entry.what);
    settled.add(entry.id);
  }

  // Processes next, so no daemon holds a namespace or writes into the state dir meanwhile.
  // The lab's token prefix also finds a process whose journal line a crash cut short.
  const killed = await host.stopByToken(`${lab}/`);
  const survivors = host.findByToken(`${lab}/`);
  if (survivors.length > 0) {
    failures.push(`processes ${survivors.join(' ')} (LABLB_TOKEN=${lab}/...) still run after SIGKILL`);
    left.push(...entries.filter((e) => e.kind === 'process'));
  }

  // Members a runtime made (containers), each removed by its runtime, exactly as journaled.
  let containers = 0;
  for (const runtime of RUNTIMES) {
    const done = await runtime.teardown?.(entries, host);
    containers += done?.removed ?? 0;
    for (const f of done?.failed ?? []) {
      failures.push(f.message);
      left.push(f.entry);
    }
  }

  // Namespaces: all in one `ip -force -batch` (a thousand routers' 2000 one by one took 12 s),
  // then one by one what is still there, so each failure is told with its own message.
  const removed: string[] = [];
  const namespaces = [...entries].reverse().filter((e): e is Extract<JournalEntry, { kind: 'netns' }> => e.kind === 'netns' && netns.exists(host, e.name));
  if (namespaces.length > 0) {
    const many = netns.removeMany(namespaces.map((e) => e.name));
    await host.run(many.argv, { input: many.input, allowFailure: true });
  }
  for (const entry of namespaces) {
    if (!netns.exists(host, entry.name) || (await attempt(entry, netns.remove(entry.name), `namespace ${entry.name}`))) removed.push(entry.name);
  }

  const modules = record?.modules && failures.length === 0 ? await unloadModules(record.modules, host) : { unloaded: [], inUse: [] };

  if (failures.length > 0) {
    journal.rewrite(left.reverse());
    if (record) journal.writeRecord({ ...record, state: 'failed' });
  } else {
    host.removeTree(dir);
  }
  return { lab, processes: killed.length, containers, namespaces: removed, undone, modules: modules.unloaded, modulesInUse: modules.inUse, failures };
}
