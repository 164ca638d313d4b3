// `lablb exec <node> -- <cmd...>`: run a command inside a node's namespace. The lab's switch is
// the node "ovs": there ovs-vsctl and ovs-ofctl reach the lab's private Open vSwitch.
import { requireRoot } from '../engine/preflight.js';
import { UserError } from '../errors.js';
import { onSwitch, switchEnv } from '../plan/plan.js';
import { switchOf } from '../model.js';
import { runtimeOf } from '../runtime/all.js';
import { hostSwitch, labWithNode } from './common.js';
import type { CommandContext } from './context.js';

export const SWITCH_NODE = 'ovs';

export async function exec(node: string, argv: string[], labName: string | undefined, ctx: CommandContext, host?: string): Promise<number> {
  if (argv.length === 0) throw new UserError('exec needs a command after --', 'e.g. sudo lablb exec ext -- curl -s http://10.255.253.100/');
  requireRoot(ctx.host, 'exec');
  const lab = labWithNode(node, labName, SWITCH_NODE);
  const member = lab.nodes.find((n) => n.name === node);
  // The switch is no member: its namespace, with its OVS sockets in the environment (in a lab
  // of hosts, the host's that --host names).
  if (!member) {
    const sw = onSwitch(hostSwitch(lab, host), argv);
    return ctx.host.runAttached(sw.argv, sw.env);
  }
  if (host !== undefined && member.host !== host)
    throw new UserError(
      `${node} is ${member.host ? `on host ${member.host}` : "on the lab's one switch"}, not on ${host}`,
      `drop --host, or: sudo lablb exec --host ${host} -- ...`,
    );
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  return ctx.host.runAttached(await runtimeOf(member).enter(member, argv, tty, ctx.host), switchEnv(switchOf(lab, member.name)));
}
