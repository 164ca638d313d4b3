// Take ports of nodes down or up, as cables pulled and plugged back (a node's whole set at
// once is a node failure). Down journals each undo (the link up again), so `clean` after a
// crash mid-experiment reverts it; up settles it.
import { z } from 'zod';
import { PortRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import type { Op } from '../kinds/ops.js';
import { netns } from '../runtime/netns/netns.js';
import { actionStep } from './action-step.js';

interface LinkPort {
  node: string;
  port: string;
}

const linkId = (a: LinkPort) => `link:${a.node}/${a.port}`;
const setLink = (a: LinkPort, state: 'up' | 'down') => netns.ip(a.node, ['link', 'set', a.port, state]);
const named = (ports: LinkPort[]) => ports.map((p) => `${p.node}/${p.port}`).join(', ');

const fields = {
  port: PortRef.optional().describe('the port, as node/port'),
  ports: z.array(PortRef).min(1).max(64).optional().describe('several ports at once (a whole node failing), as node/port'),
};

function resolvePorts(b: { port?: string; ports?: string[] }, ctx: StepResolveContext): LinkPort[] {
  if ((b.port === undefined) === (b.ports === undefined)) ctx.report([], 'say which port: port: node/port, or ports: [node/port, ...]');
  const refs = b.ports ?? (b.port ? [b.port] : []);
  return refs.map((ref, i) => {
    ctx.port(ref, b.ports ? ['ports', i] : ['port']);
    const [node, port] = ref.split('/');
    return { node, port };
  });
}

export const linkDown = actionStep({
  kind: 'link-down',
  description: 'Take ports of nodes down (their links to the switch are cut); time what follows',
  fields,
  example: `name: master-link-down
kind: link-down
port: lb1/eth0
until:
  - { vrrp: lb2/vrrp/VR_1, state: MASTER }`,
  resolveAction: resolvePorts,
  ops: (ports): Op[] =>
    ports.map((a) => ({
      kind: 'run',
      argv: setLink(a, 'down'),
      undo: { id: linkId(a), what: `${a.node}/${a.port} up again`, argv: setLink(a, 'up'), member: a.node },
    })),
  done: (ports) => `${named(ports)} ${ports.length > 1 ? 'are' : 'is'} down`,
});

export const linkUp = actionStep({
  kind: 'link-up',
  description: 'Bring ports of nodes up again; time what follows',
  fields,
  example: '{ name: master-link-up, kind: link-up, port: lb1/eth0 }',
  resolveAction: resolvePorts,
  ops: (ports): Op[] => ports.map((a) => ({ kind: 'run', argv: setLink(a, 'up'), settles: linkId(a) })),
  done: (ports) => `${named(ports)} ${ports.length > 1 ? 'are' : 'is'} up`,
});
