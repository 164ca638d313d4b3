// `lablb status [lab]`: every lab on the host, whether it is building, up or left over, and what
// `clean` would remove.
import { safeJson } from '../safe-text.js';
import { Journal } from '../engine/journal.js';
import { requireRoot } from '../engine/preflight.js';
import type { HostDriver } from '../host.js';
import type { Lab } from '../model.js';
import { Observation } from '../observe/hub.js';
import { factsEvent } from '../observe/snapshot.js';
import { netns } from '../runtime/netns/netns.js';
import { EXIT_OK, UserError } from '../errors.js';
import { hostSwitch, labByName, labsOnHost, type LabOnHost } from './common.js';
import { tunnelPeers, tunnelPort } from '../links/tunnels.js';
import type { CommandContext } from './context.js';

export interface LabStatus {
  lab: string;
  scenario: string;
  state: 'building' | 'up' | 'left over';
  datapath: string;
  namespaces: string[];
  processes: number[];
  /** Containers it started (by name; teardown finds them by their label). */
  containers: string[];
  created: string;
}

export function labStatus(host: HostDriver, l: LabOnHost): LabStatus {
  const entries = Journal.open(l.dir).entries();
  const namespaces = entries.flatMap((e) => (e.kind === 'netns' && netns.exists(host, e.name) ? [e.name] : []));
  const processes = host.findByToken(`${l.name}/`);
  const r = l.record;
  const expected = entries.filter((e) => e.kind === 'netns').length;
  let state: LabStatus['state'] = 'left over';
  if (r?.state === 'building' && host.isAlive(r.pid)) state = 'building';
  else if (r?.state === 'up' && namespaces.length === expected && processes.length > 0) state = 'up';
  return {
    lab: l.name,
    scenario: r?.lab.scenario ?? '?',
    state,
    datapath: r?.datapath ?? '?',
    namespaces,
    processes,
    // Containers are created in parallel, so journal order varies from run to run.
    containers: entries.flatMap((e) => (e.kind === 'member' ? [e.name] : [])).sort(),
    created: r?.createdAt ?? '?',
  };
}

/** A line stays a line in a lab of a thousand routers: its first few and last, and how many. */
export function listed(items: (string | number)[], max = 12): string {
  if (items.length === 0) return '(none)';
  if (items.length <= max) return items.join(' ');
  return `${items.length}: ${items.slice(0, max - 2).join(' ')} ... ${items.slice(-2).join(' ')} (--json lists every one)`;
}

export async function status(name: string | undefined, ctx: CommandContext, host?: string): Promise<number> {
  let labs = labsOnHost();
  // A lab's state dir is root's alone (its configs and sockets are): only root can tell.
  if (labs.length > 0) requireRoot(ctx.host, 'status');
  if (name) {
    const one = labByName(name);
    if (!one) throw new UserError(`no lab named ${name} on this host`, `labs: ${labs.map((l) => l.name).join(', ') || '(none)'}`);
    labs = [one];
  }
  if (host !== undefined && !name) throw new UserError('status --host needs the lab', `e.g. sudo lablb status vxlan-hosts --host ${host}`);
  // --host: a name the lab knows, or one clear message.
  if (host !== undefined && labs[0].record) hostSwitch(labs[0].record.lab, host);
  const rows = labs.map((l) => labStatus(ctx.host, l));
  const hosts = name && labs[0].record?.lab.hosts ? hostRows(labs[0].record.lab, host) : [];
  // One lab asked for, and up: what its screen shows now, once (an Octavia amphora table).
  const record = name ? labs[0].record : undefined;
  const panels = record && rows[0].state === 'up' ? await panelsNow(ctx.host, record.lab) : [];
  if (ctx.json) {
    ctx.out(safeJson({ type: 'status', labs: rows, ...(name ? { panels } : {}), ...(hosts.length ? { hosts } : {}) }));
    return EXIT_OK;
  }
  if (rows.length === 0) {
    ctx.out('No labs on this host.');
    return EXIT_OK;
  }
  for (const s of rows) {
    ctx.out(`${s.lab}: ${s.state} (scenario ${s.scenario}, ${s.datapath} datapath, since ${s.created})`);
    ctx.out(`  namespaces: ${listed(s.namespaces)}`);
    ctx.out(`  processes:  ${listed(s.processes)}`);
    if (s.containers.length) ctx.out(`  containers: ${s.containers.join(' ')}`);
    if (s.state === 'left over') ctx.out(`  'sudo lablb clean' (or 'down ${s.lab}') removes the above and its state dir`);
  }
  if (hosts.length) ctx.out('  hosts:');
  for (const h of hosts) {
    ctx.out(`    ${h.host} (${h.role}) local_ip ${h.localIp}, namespace ${h.namespace}: ${h.nodes.join(' ') || '(no nodes)'}`);
    ctx.out(`      bridges ${h.bridges.join(' ')}; tunnels ${h.tunnels.map((t) => `${t.port} to ${t.to}`).join(', ') || '(none)'}`);
    ctx.out(
      `      local VLANs ${
        Object.entries(h.localVlans)
          .map(([net, vlan]) => `${net}=${vlan}`)
          .join(' ') || '(none)'
      }${h.dvrMac ? `; DVR MAC ${h.dvrMac}` : ''}`,
    );
  }
  for (const p of panels.filter((x) => x.lines.length)) {
    ctx.out('');
    ctx.out(p.title);
    for (const line of p.lines) ctx.out(`  ${line}`);
  }
  return EXIT_OK;
}

export interface HostRow {
  host: string;
  role: string;
  localIp: string;
  namespace: string;
  bridges: string[];
  nodes: string[];
  tunnels: { port: string; to: string }[];
  localVlans: Record<string, number>;
  /** The MAC its DVR routers' frames leave under, in a lab with DVR. */
  dvrMac?: string;
}

/** A lab of hosts, host by host: its nodes, bridges, tunnels and local VLANs (one host with
 *  --host). */
export function hostRows(lab: Lab, only?: string): HostRow[] {
  return (lab.hosts?.list ?? [])
    .filter((h) => only === undefined || h.name === only)
    .map((h) => ({
      host: h.name,
      role: h.role,
      localIp: h.localIp,
      namespace: h.switch.namespace,
      bridges: h.switch.bridges,
      nodes: lab.nodes.filter((n) => n.host === h.name).map((n) => n.name),
      tunnels: tunnelPeers(lab, h).map((p) => ({ port: tunnelPort(p), to: p.name })),
      localVlans: h.localVlans,
      ...(h.dvrMac ? { dvrMac: h.dvrMac } : {}),
    }));
}

/** Every observer polled (twice: a kind may read what another found, such as the addresses
 *  that tell who holds a VIP), and the panels the screen would draw from that. */
async function panelsNow(host: HostDriver, lab: Lab): Promise<{ title: string; lines: string[] }[]> {
  const observation = new Observation(lab, host, () => {});
  try {
    await observation.poll();
    await observation.poll();
    return factsEvent(lab, observation.facts, 'start').panels;
  } finally {
    observation.stop();
  }
}
