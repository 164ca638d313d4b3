// Everything about one node for the details view: addresses, routes, iptables rules (routers),
// and lablb's processes in it. Read on demand, when a person selects the node.
import { readFileSync } from 'node:fs';
import { findByToken } from '../drivers/procs.js';
import { query } from '../drivers/process.js';
import type { Lab } from '../model.js';
import type { NodeDetails } from '../ui/view.js';

const lines = (text: string) => text.split('\n').map((l) => l.trimEnd()).filter(Boolean);

export async function nodeDetails(lab: Lab, name: string): Promise<NodeDetails> {
  const node = lab.nodes.find((n) => n.name === name);
  const ns = node ? name : lab.switch.namespace;
  const [addr, route, rules] = await Promise.all([
    query(['ip', '-n', ns, '-br', 'addr', 'show']),
    query(['ip', '-n', ns, 'route', 'show']),
    node?.l3 ? query(['ip', 'netns', 'exec', ns, 'iptables', '-t', 'nat', '-S']) : Promise.resolve(undefined),
  ]);
  const processes = findByToken(`${lab.name}/${ns}/`).map((pid) => {
    try {
      return `${pid} ${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 100)}`;
    } catch {
      return `${pid}`;
    }
  });
  return {
    node: name,
    addresses: lines(addr.stdout),
    routes: lines(route.stdout),
    rules: rules ? lines(rules.stdout).filter((l) => l.startsWith('-A neutron') || l.startsWith('-A PREROUTING') || l.startsWith('-A POSTROUTING')) : [],
    processes,
  };
}
