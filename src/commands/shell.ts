// `lablb shell <lab> [-- CMD...]`: a shell in which the article's commands work as typed. It
// runs in the lab's switch namespace, where the bridges (br-int, br-ex) and the ports plugged
// into them (eth3, tapvm1, ...) are, with OVS_RUNDIR set so bare `ovs-vsctl show` and
// `ovs-ofctl dump-flows br-int` reach the lab's own Open vSwitch, and the article's `ip netns`
// commands reach the nodes (they are named namespaces).
import { join } from 'node:path';
import { requireRoot } from '../engine/preflight.js';
import { PACKAGE_ROOT } from '../paths.js';
import { shellLine } from '../shell.js';
import { onSwitch } from '../plan/plan.js';
import { hostSwitch, labUp } from './common.js';
import type { CommandContext } from './context.js';

export async function shell(name: string | undefined, argv: string[], ctx: CommandContext, host?: string): Promise<number> {
  requireRoot(ctx.host, 'shell');
  const lab = labUp(name);
  const sw = hostSwitch(lab, host);
  // `neutron port-update ...` as the articles type it: lablb's own, for this lab.
  const bin = join(lab.dir, 'bin');
  ctx.host.mkdir(bin);
  ctx.host.writeFile(join(bin, 'neutron'), `#!/bin/sh\nexec ${shellLine([process.execPath, join(PACKAGE_ROOT, 'bin', 'lablb.js'), 'neutron'])} "$@"\n`, 0o755);
  const command = argv.length ? argv : ['bash', '--norc', '--noprofile', '-i'];
  const onTheSwitch = onSwitch(sw, command);
  const env = {
    ...onTheSwitch.env,
    PATH: `${bin}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}`,
    LABLB_LAB: lab.name,
    // bash without rc files keeps this prompt; it names the lab so nobody mistakes the host for it.
    PS1: `[lablb ${lab.name}${host ? ` ${host}` : ''}] \\w# `,
  };
  if (!argv.length && !ctx.json) {
    ctx.err(
      `lablb: a shell in lab ${lab.name}'s ${host ? `host ${host}, namespace` : 'switch namespace'} (${sw.namespace}); ovs-vsctl and ovs-ofctl reach its Open vSwitch,`,
    );
    ctx.err(`       the article's ip netns commands reach its nodes (${lab.nodes.map((n) => n.name).join(', ')}), and neutron port-update ...`);
    ctx.err('       changes port security (neutron help). exit leaves it; the lab stays up.');
  }
  return ctx.host.runAttached(onTheSwitch.argv, env);
}
