// Take a node's port down or up, as a cable pulled and plugged back. Down journals its undo
// (the link up again), so `clean` after a crash mid-experiment reverts it; up settles it.
import { PortRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import type { Op } from '../plan/ops.js';
import { netns } from '../runtime/netns.js';
import { actionStep } from './action-step.js';

interface LinkAction {
  node: string;
  port: string;
}

const linkId = (a: LinkAction) => `link:${a.node}/${a.port}`;
const setLink = (a: LinkAction, state: 'up' | 'down') => netns.ip(a.node, ['link', 'set', a.port, state]);
const resolvePort = (b: { port: string }, ctx: StepResolveContext): LinkAction => {
  ctx.port(b.port, ['port']);
  const [node, port] = b.port.split('/');
  return { node, port };
};

export const linkDown = actionStep({
  kind: 'link-down',
  description: 'Take a node\'s port down (its link to the switch is cut); time what follows',
  fields: { port: PortRef.describe('the port, as node/port') },
  example: `name: master-link-down
kind: link-down
port: lb1/eth0
until:
  - { vrrp: lb2/vrrp/VR_1, state: MASTER }`,
  resolveAction: resolvePort,
  ops: (a: LinkAction): Op[] => [{
    kind: 'run',
    argv: setLink(a, 'down'),
    undo: { id: linkId(a), what: `${a.node}/${a.port} up again`, argv: setLink(a, 'up'), member: a.node },
  }],
  done: (a: LinkAction) => `${a.node}/${a.port} is down`,
});

export const linkUp = actionStep({
  kind: 'link-up',
  description: 'Bring a node\'s port up again; time what follows',
  fields: { port: PortRef.describe('the port, as node/port') },
  example: '{ name: master-link-up, kind: link-up, port: lb1/eth0 }',
  resolveAction: resolvePort,
  ops: (a: LinkAction): Op[] => [{ kind: 'run', argv: setLink(a, 'up'), settles: linkId(a) }],
  done: (a: LinkAction) => `${a.node}/${a.port} is up`,
});
