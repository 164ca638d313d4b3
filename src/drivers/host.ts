// Facts about the host that decide how a lab is built. Read-only.
import { accessSync, constants, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Datapath, DatapathChoice } from '../model.js';
import { run } from './process.js';

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

const EXTRA_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

export function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...EXTRA_PATH];
  for (const dir of dirs) {
    const p = join(dir, tool);
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      /* next */
    }
  }
  return undefined;
}

export function namespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** auto: the kernel datapath when the openvswitch module is loaded or loadable, else userspace.
 *  `modprobe -n` only asks; it loads nothing. */
export async function chooseDatapath(choice: DatapathChoice): Promise<Datapath> {
  if (choice !== 'auto') return choice;
  if (existsSync('/sys/module/openvswitch')) return 'system';
  if (!which('modprobe')) return 'netdev';
  const r = await run(['modprobe', '-n', '-q', 'openvswitch'], { allowFailure: true });
  return r.exitCode === 0 ? 'system' : 'netdev';
}
