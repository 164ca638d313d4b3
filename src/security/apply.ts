// Where the security state lives (security.json in the lab's dir) and the ops that make the
// switch enforce it: every bridge's flow table rewritten with `ovs-ofctl replace-flows`, which
// changes only the flows that differ, in one bundle, so traffic never sees a half-made table.
import { join } from 'node:path';
import type { HostDriver } from '../host.js';
import type { Lab, LabNode } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { netns } from '../runtime/netns/netns.js';
import { renderFlows } from './flows.js';
import { initialSecurity, portId, type SecurityState } from './model.js';

export const SECURITY_FILE = 'security.json';

export function securityFile(lab: Lab): string {
  return join(lab.dir, SECURITY_FILE);
}

/** The state now: what the last change wrote, or the scenario's. */
export function readSecurity(host: HostDriver, lab: Lab): SecurityState {
  const text = host.readFile(securityFile(lab));
  if (text === undefined) return initialSecurity(lab);
  try {
    return JSON.parse(text) as SecurityState;
  } catch {
    return initialSecurity(lab);
  }
}

/** The MACs the flows need: the scenario's, else read from the node (a kernel-chosen one). */
export async function portMacs(host: HostDriver, lab: Lab, state: SecurityState): Promise<Record<string, string>> {
  const macs: Record<string, string> = {};
  for (const p of lab.nodes.flatMap((n) => n.ports)) {
    if (!state.ports[portId(p)]?.enabled) continue;
    if (p.mac) {
      macs[portId(p)] = p.mac;
      continue;
    }
    const r = await host.query(netns.ip(p.node, ['-o', 'link', 'show', 'dev', p.name]));
    const mac = /link\/ether ([0-9a-f:]{17})/.exec(r.stdout)?.[1];
    if (mac) macs[portId(p)] = mac;
  }
  return macs;
}

/** A node joining (its secured ports guarded, as Neutron would from the port's creation) or
 *  leaving (its ports forgotten, and gone from the flows before they leave the switch): `lab`
 *  is the lab as it is after the change. Nothing when neither it nor the lab uses security. */
export async function nodeSecurityOps(host: HostDriver, lab: Lab, node: LabNode, change: 'join' | 'leave'): Promise<Op[]> {
  const state = readSecurity(host, lab);
  const ids = node.ports.map(portId);
  const had = ids.some((id) => state.ports[id] || state.adminDown?.includes(id));
  if (change === 'join') {
    for (const p of node.ports) if (p.security) state.ports[portId(p)] = structuredClone(p.security);
  } else {
    for (const id of ids) delete state.ports[id];
    if (state.adminDown) state.adminDown = state.adminDown.filter((id) => !ids.includes(id));
  }
  // A lab without port security keeps plain NORMAL switching; one with it rewrites the flows,
  // so a new port, guarded or not, takes its place in them.
  if (!had && Object.keys(state.ports).length === 0) return [];
  return securityOps(lab, state, await portMacs(host, lab, state));
}

/** Writes the state and makes every bridge enforce it. */
export function securityOps(lab: Lab, state: SecurityState, macs: Record<string, string>): Op[] {
  const flows = renderFlows(lab, state, macs);
  return [
    { kind: 'write', path: securityFile(lab), content: `${JSON.stringify(state)}\n` },
    ...Object.entries(flows).flatMap(([bridge, text]): Op[] => {
      const file = join(lab.switch.rundir, `${bridge}.flows`);
      return [
        { kind: 'write', path: file, content: text },
        { kind: 'run', argv: ['ovs-ofctl', '-O', 'OpenFlow14', '--bundle', 'replace-flows', `unix:${join(lab.switch.rundir, `${bridge}.mgmt`)}`, file] },
      ];
    }),
  ];
}
