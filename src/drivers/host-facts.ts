// Facts about the host that decide how a lab is built. Read-only.
import { accessSync, constants, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserError } from '../errors.js';
import { LOAD_OPENVSWITCH, type Datapath, type DatapathChoice } from '../model.js';

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

export function kernelModules(): Map<string, number> | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/modules', 'utf8');
  } catch {
    return undefined;
  }
  // "nf_nat 61440 2 xt_nat,nft_chain_nat, Live 0x0": name, size, users, ...
  return new Map(
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, , users] = l.split(' ');
        return [name, Number(users)] as const;
      }),
  );
}

export function namespaces(): string[] {
  try {
    return readdirSync('/run/netns');
  } catch {
    return [];
  }
}

/** auto: the kernel datapath when the openvswitch module is loaded (or built in), else
 *  userspace. system: refused, with the command to load it, when it is not. Loads nothing. */
export async function chooseDatapath(choice: DatapathChoice): Promise<Datapath> {
  const loaded = existsSync('/sys/module/openvswitch');
  if (choice === 'auto') return loaded ? 'system' : 'netdev';
  if (choice === 'system' && !loaded) {
    throw new UserError(
      'the scenario asks for the kernel datapath, and the openvswitch module is not loaded',
      `load it yourself: ${LOAD_OPENVSWITCH} (lablb loads no kernel module), or use datapath: auto`,
    );
  }
  return choice;
}
