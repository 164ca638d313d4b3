// Checks before a lab touches the host: root, tools, and no name already taken. Each failure is
// a UserError that says what to do; nothing has been created when one is thrown.
import { existsSync } from 'node:fs';
import { UserError } from '../errors.js';
import type { Datapath, Lab } from '../model.js';
import { isRoot, namespaces, which } from '../drivers/host.js';

/** The Debian package that provides each command lablb runs. */
export const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2',
  'ovs-vsctl': 'openvswitch-switch',
  'ovsdb-tool': 'openvswitch-switch',
  'ovsdb-server': 'openvswitch-switch',
  'ovs-vswitchd': 'openvswitch-switch',
  haproxy: 'haproxy',
  'iptables-restore': 'iptables',
  'iptables-save': 'iptables',
  ethtool: 'ethtool',
  sysctl: 'procps',
  curl: 'curl',
  modprobe: 'kmod',
};

export function toolsFor(lab: Lab, datapath: Datapath): string[] {
  const tools = ['ip', 'ovs-vsctl', 'ovsdb-tool', 'ovsdb-server', 'ovs-vswitchd', 'sysctl'];
  const services = lab.nodes.flatMap((n) => n.services);
  if (services.some((s) => s.kind === 'haproxy')) tools.push('haproxy');
  if (lab.nodes.some((n) => n.l3)) tools.push('iptables-restore', 'iptables-save');
  if (datapath === 'netdev') tools.push('ethtool');
  if (datapath === 'system') tools.push('modprobe');
  if (lab.experiment?.steps.some((s) => s.kind === 'http-get')) tools.push('curl');
  return tools;
}

export function requireRoot(verb: string): void {
  if (!isRoot()) {
    throw new UserError(`lablb ${verb} needs root (it creates namespaces and starts daemons)`, `run it with sudo: sudo lablb ${verb} ...`);
  }
}

export function preflight(lab: Lab, datapath: Datapath): void {
  const missing = toolsFor(lab, datapath).filter((t) => !which(t));
  if (missing.length > 0) {
    const pkgs = [...new Set(missing.map((t) => PACKAGE_OF[t] ?? t))];
    throw new UserError(
      `missing ${missing.join(', ')} (Debian package${pkgs.length > 1 ? 's' : ''}: ${pkgs.join(' ')})`,
      `install with: sudo apt-get install -y ${pkgs.join(' ')}   (or: sudo scripts/setup-host.sh)`,
    );
  }
  if (existsSync(lab.dir)) {
    throw new UserError(
      `lab ${lab.name} is already up (or left over from a crash)`,
      `see it with: sudo lablb status ${lab.name}; remove it with: sudo lablb down ${lab.name}`,
    );
  }
  const present = new Set(namespaces());
  const taken = [lab.switch.namespace, ...lab.nodes.map((n) => n.name)].filter((ns) => present.has(ns));
  if (taken.length > 0) {
    throw new UserError(
      `namespace${taken.length > 1 ? 's' : ''} ${taken.join(', ')} already exist${taken.length > 1 ? '' : 's'} and ${taken.length > 1 ? 'are' : 'is'} not part of lab ${lab.name}; lablb leaves ${taken.length > 1 ? 'them' : 'it'} alone`,
      'remove them yourself if they are stale, or start the lab under other node names',
    );
  }
}
