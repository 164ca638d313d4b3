// Facts about the host that decide how a lab is built. Read-only.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { release } from 'node:os';
import { join } from 'node:path';
import type { Datapath, DatapathChoice } from '../model.js';

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

/** auto: the kernel datapath when the openvswitch module is loaded, built in or installed
 *  (modules.dep lists it), else userspace. Reading the lists loads nothing. */
export async function chooseDatapath(choice: DatapathChoice): Promise<Datapath> {
  if (choice !== 'auto') return choice;
  if (existsSync('/sys/module/openvswitch')) return 'system';
  const dir = `/lib/modules/${release()}`;
  const listed = (file: string) => {
    try {
      return /(^|\/)openvswitch\.ko/m.test(readFileSync(`${dir}/${file}`, 'utf8'));
    } catch {
      return false;
    }
  };
  return listed('modules.builtin') || listed('modules.dep') ? 'system' : 'netdev';
}
