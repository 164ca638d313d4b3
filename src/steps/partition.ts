// Cut ports off their networks beyond the node, and join them again: the node keeps its links
// up (no FAULT) but reaches nobody. Cutting a router's ha- port partitions the HA network
// (both routers become MASTER: split brain); cutting all of a node's ports is a node that
// vanished from the network. The cut journals its undo, so `clean` after a crash rejoins.
import { z } from 'zod';
import { PortRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import { deadVlan, isolate, rejoin } from '../links/links.js';
import { switchOf, type LabPort } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { actionStep } from './action-step.js';

interface Cut {
  ports: LabPort[];
  deadVlan: number;
}

const fields = { ports: z.array(PortRef).min(1).max(64).describe('the ports, as node/port') };

function resolveCut(b: { ports: string[] }, ctx: StepResolveContext): Cut {
  const ports = b.ports.flatMap((ref, i) => ctx.port(ref, ['ports', i]) ?? []);
  return { ports, deadVlan: deadVlan(ctx.lab) };
}

const cutId = (p: LabPort) => `cut:${p.node}/${p.name}`;
const named = (c: Cut) => c.ports.map((p) => `${p.node}/${p.name}`).join(', ');

export const disconnect = actionStep({
  kind: 'disconnect',
  description: 'Cut ports off their networks at the switch, links still up (a partition, or a node gone from the network); time what follows',
  fields,
  example: `name: partition-ha-network
kind: disconnect
ports: [qrouter-net1/ha-n1]
until:
  - { vrrp: qrouter-net1/vrrp/VR_1, state: MASTER }
  - { vrrp: qrouter-net2/vrrp/VR_1, state: MASTER }`,
  resolveAction: resolveCut,
  ops: (c, lab): Op[] =>
    c.ports.map((p) => ({
      kind: 'run',
      argv: isolate(lab, p, c.deadVlan),
      undo: { id: cutId(p), what: `${p.node}/${p.name} back on ${p.network}`, argv: rejoin(lab, p), member: switchOf(lab, p.node).namespace },
    })),
  done: (c) => `${named(c)} cut off`,
});

export const reconnect = actionStep({
  kind: 'reconnect',
  description: 'Put ports cut off by disconnect back on their networks; time what follows',
  fields,
  example: '{ name: heal-ha-network, kind: reconnect, ports: [qrouter-net1/ha-n1] }',
  resolveAction: resolveCut,
  ops: (c, lab): Op[] => c.ports.map((p) => ({ kind: 'run', argv: rejoin(lab, p), settles: cutId(p) })),
  done: (c) => `${named(c)} back`,
});
