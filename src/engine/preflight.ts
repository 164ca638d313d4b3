// Checks before a lab touches the host: root, tools, and no name already taken. Each failure is
// a UserError that says what to do; nothing has been created when one is thrown.
import { UserError } from '../errors.js';
import type { HostDriver } from '../host.js';
import { switchNamespaces, type Datapath, type Lab } from '../model.js';
import { byRuntime } from '../runtime/all.js';
import { stepKindOf } from '../steps/all.js';
import { toolsFor, type Tool } from './tools.js';

export function requireRoot(host: HostDriver, verb: string): void {
  if (!host.isRoot()) {
    throw new UserError(`lablb ${verb} needs root (it creates namespaces and starts daemons)`, `run it with sudo: sudo lablb ${verb} ...`);
  }
}

/** The tools a lab needs that `find` does not locate. */
export function missingTools(lab: Lab, datapath: Datapath, find: (cmd: string) => string | undefined): Tool[] {
  return toolsFor(lab, datapath).filter((t) => !find(t.command));
}

export function missingToolsError(missing: Tool[]): UserError {
  const pkgs = [...new Set(missing.map((t) => t.pkg))];
  return new UserError(
    `missing ${missing.map((t) => t.command).join(', ')} (Debian package${pkgs.length > 1 ? 's' : ''}: ${pkgs.join(' ')})`,
    `install with: sudo apt-get install -y ${pkgs.join(' ')}   (or: sudo lablb doctor --fix)`,
  );
}

export function preflight(host: HostDriver, lab: Lab, datapath: Datapath): void {
  const missing = missingTools(lab, datapath, (cmd) => host.which(cmd));
  if (missing.length > 0) throw missingToolsError(missing);
  if (host.exists(lab.dir)) {
    throw new UserError(
      `lab ${lab.name} is already up (or left over from a crash)`,
      `see it with: sudo lablb status ${lab.name}; remove it with: sudo lablb down ${lab.name}`,
    );
  }
  const present = new Set(host.namespaces());
  const later = (lab.experiment?.steps ?? []).flatMap((s) => stepKindOf(s.kind).namespaces?.(s) ?? []);
  const taken = [...switchNamespaces(lab), ...lab.nodes.map((n) => n.name), ...later].filter((ns) => present.has(ns));
  if (taken.length > 0) {
    const many = taken.length > 1;
    throw new UserError(
      `namespace${many ? 's' : ''} ${taken.join(', ')} already exist${many ? '' : 's'} and ${many ? 'are' : 'is'} not part of lab ${lab.name}; lablb leaves ${many ? 'them' : 'it'} alone`,
      `remove ${many ? 'them' : 'it'} yourself if stale (sudo ip netns del ${taken[0]}), or rename the scenario's nodes`,
    );
  }
}

/** What each runtime of the lab's nodes needs on the host (a container engine that answers). */
export async function runtimePreflight(host: HostDriver, lab: Lab): Promise<void> {
  for (const { runtime } of byRuntime(lab.nodes)) await runtime.preflight?.(lab, host);
}
