// Everything about one node for the details view: addresses, routes, what its services' kinds
// show of them (a router's NAT rules), and lablb's processes in it. Read on demand, when a
// person selects the node.
import type { HostDriver } from '../host.js';
import type { Lab } from '../model.js';
import { netns } from '../runtime/netns/netns.js';
import { serviceKindOf } from '../services/all.js';

export interface NodeDetails {
  node: string;
  addresses: string[];
  routes: string[];
  rules: string[];
  processes: string[];
}

const lines = (text: string) =>
  text
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean);

export async function nodeDetails(host: HostDriver, lab: Lab, name: string): Promise<NodeDetails> {
  const node = lab.nodes.find((n) => n.name === name);
  const ns = node ? name : lab.switch.namespace;
  const shown = (node?.services ?? []).flatMap((s) => serviceKindOf(s.kind).details?.(s) ?? []);
  const [addr, route, ...said] = await Promise.all([
    host.query(netns.ip(ns, ['-br', 'addr', 'show'])),
    host.query(netns.ip(ns, ['route', 'show'])),
    ...shown.map((d) => host.query(netns.exec(ns, d.argv))),
  ]);
  const processes = host.findByToken(`${lab.name}/${ns}/`).map((pid) => `${pid} ${host.commandLine(pid).slice(0, 100)}`.trim());
  return {
    node: name,
    addresses: lines(addr.stdout),
    routes: lines(route.stdout),
    rules: said.flatMap((r, i) => lines(r.stdout).filter((l) => shown[i].keep(l))),
    processes,
  };
}
