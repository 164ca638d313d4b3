// A command in a member's own world, as its runtime runs it (a container's: docker exec): the
// way to kill or restart the real application a container runs (busybox httpd, an nginx). It
// runs within the member's own limits, never with the host's privileges, so a scenario cannot
// reach past it. A member that is only a namespace has no world of its own: the exec step is for it.
import { z } from 'zod';
import { NsName, Word } from '../kinds/fields.js';
import type { Op } from '../kinds/ops.js';
import { runtimeOf } from '../runtime/all.js';
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
  resolveAction(b, ctx): { op?: Op; what: string } {
    const node = ctx.node(b.node, ['node']);
    const op = node && runtimeOf(node).execOp?.(node, b.command);
    if (node && !op)
      ctx.report(['node'], `${b.node} is not a container (runtime: ${node.runtime} has no programs of its own): an exec step runs commands in its namespace`);
    return { op, what: op?.kind === 'member' ? op.what : b.command.join(' ') };
  },
  ops: (a) => (a.op ? [a.op] : []),
  done: (a) => a.what,
});
