// Many ports onto the lab's bridges as OVSDB transactions. ovs-vsctl rewrites a bridge's whole
// port set for each port it adds, so one call adding 3000 ports spends seconds of CPU (3.6 s
// measured here); a transaction that inserts the rows and adds them to the set in one mutation
// costs what it says. Small labs keep ovs-vsctl: its lines are the ones the articles type.
import type { LabPort } from '../model.js';
import type { Op } from '../kinds/ops.js';

/** Above this many ports a lab's ports go in as transactions. */
export const MANY_PORTS = 100;
/** Ports per transaction: each is one argument of ovsdb-client, which the kernel caps at 128 KiB. */
const PER_TRANSACTION = 250;

/** The Interface and Port rows of each port, added to its bridge; one transaction per chunk. */
export function addPortsTransactions(socket: string, ports: LabPort[]): Op[] {
  const ops: Op[] = [];
  for (let i = 0; i < ports.length; i += PER_TRANSACTION) {
    const chunk = ports.slice(i, i + PER_TRANSACTION);
    ops.push({ kind: 'run', argv: ['ovsdb-client', 'transact', `unix:${socket}`, JSON.stringify(['Open_vSwitch', ...chunkOps(chunk)])] });
  }
  return ops;
}

function chunkOps(ports: LabPort[]): object[] {
  const rows = ports.flatMap((p, n) => [
    { op: 'insert', table: 'Interface', 'uuid-name': `i${n}`, row: { name: p.bridgePort, ...(p.type === 'internal' ? { type: 'internal' } : {}) } },
    { op: 'insert', table: 'Port', 'uuid-name': `p${n}`, row: { name: p.bridgePort, interfaces: ['named-uuid', `i${n}`], ...(p.vlan ? { tag: p.vlan } : {}) } },
  ]);
  const bridges = [...new Set(ports.map((p) => p.bridge))];
  const joins = bridges.map((br) => ({
    op: 'mutate',
    table: 'Bridge',
    where: [['name', '==', br]],
    mutations: [['ports', 'insert', ['set', ports.flatMap((p, n) => (p.bridge === br ? [['named-uuid', `p${n}`]] : []))]]],
  }));
  return [...rows, ...joins];
}
