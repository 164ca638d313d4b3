// Removes a lab: exactly what its journal and its process tokens name, in reverse order, each
// step safe to repeat. Works on a lab that crashed half-built, and on one whose objects a
// reboot already removed.
import { basename, join } from 'node:path';
import { rmSync } from 'node:fs';
import { stopByToken } from '../drivers/procs.js';
import type { HostDriver } from './driver.js';
import { Journal } from './journal.js';

export interface TeardownResult {
  lab: string;
  processes: number;
  namespaces: string[];
}

export async function teardownLab(dir: string, driver: HostDriver): Promise<TeardownResult> {
  const lab = basename(dir);
  const journal = Journal.open(dir);
  const record = journal.readRecord();
  if (record) journal.writeRecord({ ...record, state: 'tearing-down' });
  const entries = journal.entries();

  // Processes first, so no daemon holds a namespace or writes into the state dir meanwhile.
  // The lab's token prefix also finds a process whose journal line a crash cut short.
  const killed = await stopByToken(`${lab}/`);

  const removed: string[] = [];
  for (const entry of [...entries].reverse()) {
    if (entry.kind !== 'netns' || !driver.exists(join('/run/netns', entry.name))) continue;
    await driver.run(['ip', 'netns', 'del', entry.name], { allowFailure: true });
    removed.push(entry.name);
  }
  rmSync(dir, { recursive: true, force: true });
  return { lab, processes: killed.length, namespaces: removed };
}
