// `lablb exec <node> -- <cmd...>`: run a command inside a node's namespace. The lab's switch is
// the node "ovs": there ovs-vsctl and ovs-ofctl reach the lab's private Open vSwitch.
import { requireRoot } from '../engine/preflight.js';
import { UserError } from '../errors.js';
import { ovsEnv } from '../plan/plan.js';
import { docker, LABEL } from '../runtime/docker.js';
import { netns } from '../runtime/netns.js';
import { labByName, labsOnHost } from './common.js';
import type { CommandContext } from './context.js';

export const SWITCH_NODE = 'ovs';

export async function exec(node: string, argv: string[], labName: string | undefined, ctx: CommandContext): Promise<number> {
  if (argv.length === 0) throw new UserError('exec needs a command after --', 'e.g. sudo lablb exec ext -- curl -s http://10.255.253.100/');
  requireRoot(ctx.host, 'exec');
  const labs = labName ? [labByName(labName)].filter((l) => l !== undefined) : labsOnHost();
  if (labName && labs.length === 0) throw new UserError(`no lab named ${labName} on this host`, 'see: sudo lablb status');
  const matches = labs.filter((l) => l.record && (node === SWITCH_NODE || l.record.lab.nodes.some((n) => n.name === node)));
  if (matches.length === 0) {
    const known = labs.flatMap((l) => l.record?.lab.nodes.map((n) => n.name) ?? []);
    throw new UserError(
      `no node named ${node} in ${labName ? `lab ${labName}` : 'any lab on this host'}`,
      known.length ? `nodes: ${[...known, SWITCH_NODE].join(', ')}` : 'no lab is up; start one with: sudo lablb up floating-ip-lb',
    );
  }
  if (matches.length > 1) throw new UserError(`node ${node} is in several labs`, `say which with --lab (${matches.map((l) => l.name).join(', ')})`);
  const lab = matches[0].record!.lab;
  const container = lab.nodes.find((n) => n.name === node)?.container;
  if (container) {
    // A container's own files and processes, not only its network: its busybox sh, its /www.
    const [running] = await ctx.host.containers.list({ [LABEL.token]: container.token });
    if (!running?.pid) throw new UserError(`the container of ${node} (${container.name}) is not running`, `see: sudo lablb status ${lab.name}`);
    if (!ctx.host.which('docker')) throw new UserError('lablb exec into a container needs the docker command', 'sudo apt-get install docker.io (scripts/setup-host.sh installs it)');
    return ctx.host.runAttached(docker.enter(running.id, argv, Boolean(process.stdin.isTTY && process.stdout.isTTY)));
  }
  const ns = node === SWITCH_NODE ? lab.switch.namespace : node;
  return ctx.host.runAttached(netns.exec(ns, argv), ovsEnv(lab));
}
