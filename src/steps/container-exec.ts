// A command in a container member, through the engine (docker exec): the way to kill or
// restart the real application a container runs (busybox httpd, an nginx). It runs within the
// container's own limits, never with the host's privileges, so a scenario cannot reach past it.
import { z } from 'zod';
import { NsName, Word } from '../kinds/fields.js';
import type { LabContainer } from '../model.js';
import { actionStep } from './action-step.js';

export const containerExec = actionStep({
  kind: 'container-exec',
  description: 'Run a command inside a container member (docker exec), e.g. kill its web server; time what follows',
  fields: {
    node: NsName.describe('a node with runtime: docker'),
    command: z.array(Word).min(1).max(64).describe('the command and its arguments, run in the container (no shell unless you name one)'),
  },
  example: `name: kill-vm2-httpd
kind: container-exec
node: vm2
command: [killall, httpd]
until:
  - { member: { loadbalancer: qlbaas-01/lb, node: vm2 }, state: DOWN }`,
  resolveAction(b, ctx): { container: LabContainer; command: string[] } {
    const node = ctx.node(b.node, ['node']);
    if (node && !node.container) ctx.report(['node'], `${b.node} is not a container (runtime: docker)`);
    return { container: node?.container ?? { name: '', image: '', env: {}, files: [], token: '' }, command: b.command };
  },
  ops: (a) => [{ kind: 'container-exec', token: a.container.token, name: a.container.name, argv: a.command }],
  done: (a) => `docker exec ${a.container.name} ${a.command.join(' ')}`,
});
