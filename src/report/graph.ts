// A lab as a graph: its nodes and networks, and a link for each port (its name, address and
// MAC), with the bridge and segment each network is on; hosts, in a lab of several, as groups.
// JSON for other tools, DOT for Graphviz (`lablb graph --format svg` draws it with dot).
import type { Lab } from '../model.js';
import type { GraphJson } from '../kinds/topology.js';

export type { GraphJson };

/** Ids that never collide: a node and a network may share a name. */
const nodeId = (name: string) => `node:${name}`;
const networkId = (name: string) => `net:${name}`;

export function graphJson(lab: Lab): GraphJson {
  return {
    lab: lab.name,
    scenario: lab.scenario,
    hosts: (lab.hosts?.list ?? []).map((h) => ({ name: h.name, role: h.role, external: h.external, localIp: h.localIp })),
    networks: lab.networks.map((n) => ({
      id: networkId(n.name),
      name: n.name,
      cidr: n.cidr,
      bridge: n.bridge,
      ...(n.vlan !== undefined ? { vlan: n.vlan } : {}),
      ...(n.vni !== undefined ? { vni: n.vni } : {}),
    })),
    nodes: lab.nodes.map((n) => ({
      id: nodeId(n.name),
      name: n.name,
      role: n.role,
      ...(n.host ? { host: n.host } : {}),
      runtime: n.runtime,
      services: n.services.map((s) => ({ name: s.name, kind: s.kind })),
    })),
    links: lab.nodes.flatMap((n) =>
      n.ports.map((p) => ({
        node: nodeId(n.name),
        network: networkId(p.network),
        port: p.name,
        address: `${p.address}/${p.prefix}`,
        ...(p.mac ? { mac: p.mac } : {}),
        bridgePort: p.bridgePort,
        type: p.type,
      })),
    ),
  };
}

/** A DOT string: quoted, with quotes and backslashes escaped (names are checked, but a title
 *  need not be). */
const q = (text: string) => `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;

const SHAPES: Record<string, string> = {
  vm: 'box',
  router: 'box3d',
  loadbalancer: 'component',
  external: 'house',
  controller: 'tab',
  amphora: 'component',
  'share-server': 'folder',
};

export function graphDot(g: GraphJson): string {
  const node = (n: GraphJson['nodes'][number]) =>
    `    ${q(n.id)} [label=${q(`${n.name}\n${[n.role, ...n.services.map((s) => s.kind)].join(', ')}`)}, shape=${SHAPES[n.role] ?? 'box'}];`;
  const hosts = g.hosts.length ? g.hosts : [undefined];
  const lines = [
    `graph ${q(g.lab)} {`,
    '  graph [rankdir=LR, fontname="Helvetica"];',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=8];',
  ];
  for (const host of hosts) {
    const members = g.nodes.filter((n) => n.host === host?.name);
    if (host) lines.push(`  subgraph ${q(`cluster_${host.name}`)} {`, `    label=${q(`${host.name} (${host.role}, ${host.localIp})`)};`);
    lines.push(...members.map(node));
    if (host) lines.push('  }');
  }
  for (const n of g.networks)
    lines.push(
      `  ${q(n.id)} [label=${q(`${n.name}\n${n.cidr}\n${n.bridge}${n.vlan !== undefined ? ` vlan ${n.vlan}` : ''}${n.vni !== undefined ? ` vni ${n.vni}` : ''}`)}, shape=ellipse, style=filled, fillcolor="#eef3fb"];`,
    );
  for (const l of g.links) lines.push(`  ${q(l.node)} -- ${q(l.network)} [label=${q(`${l.port}\n${l.address}`)}];`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
