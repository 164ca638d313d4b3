// A lab as a graph, in JSON shaped for other tools: what `lablb graph --format json` prints and
// what a run's `topology` event carries for its report (report/graph.ts makes it).
export interface GraphJson {
  lab: string;
  scenario: string;
  hosts: { name: string; role: string; external: boolean; localIp: string }[];
  networks: { id: string; name: string; cidr: string; bridge: string; vlan?: number; vni?: number }[];
  nodes: { id: string; name: string; role: string; host?: string; runtime: string; services: { name: string; kind: string }[] }[];
  links: { node: string; network: string; port: string; address: string; mac?: string; bridgePort: string; type: string }[];
}
