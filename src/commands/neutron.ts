// `lablb neutron ...`: the article's neutron commands on a running lab, so a person applies a
// fix by hand and watches it take effect (the flows change at once; `watch` shows the port).
import { Engine } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { requireRoot } from '../engine/preflight.js';
import { portMacs, readSecurity, securityOps } from '../security/apply.js';
import { adminStateOps } from '../links/links.js';
import {
  adminStateUp,
  createPort,
  createRule,
  deletePort,
  deleteRule,
  describeCreatedPort,
  describePort,
  portSecurity,
  portsOf,
  updatePort,
} from '../security/changes.js';
import { UserError } from '../errors.js';
import { describeRule, type SecurityState } from '../security/model.js';
import { NEUTRON_USAGE, parseNeutron } from '../security/neutron-cli.js';
import { findPort, type Lab } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { labUp } from './common.js';
import type { CommandContext } from './context.js';

export async function neutron(argv: string[], labName: string | undefined, ctx: CommandContext): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    ctx.out(NEUTRON_USAGE);
    return argv.length ? 0 : 2;
  }
  requireRoot(ctx.host, 'neutron');
  const lab = labUp(labName ?? (process.env.LABLB_LAB || undefined));
  const cmd = parseNeutron(argv, lab);
  const state = readSecurity(ctx.host, lab);
  /** The flows of the new state, and anything else the change does at the switch. */
  const apply = async (next: SecurityState, more: Op[] = []) => {
    const engine = new Engine(ctx.host, Journal.open(lab.dir), {});
    await engine.runLane([...securityOps(lab, next, await portMacs(ctx.host, lab, next)), ...more]);
  };
  switch (cmd.kind) {
    case 'port-update': {
      const { change } = cmd;
      const next = updatePort(lab, state, change);
      // An admin state change is also the OVS agent's dead VLAN (the flows drop what the port
      // sends), journaled so teardown puts the port back.
      await apply(next, change.adminStateUp === undefined ? [] : adminStateOps(lab, findPort(lab, change.port)!, change.adminStateUp));
      ctx.out(`Updated port: ${change.port} (${describePortNow(next, change.port)})`);
      return 0;
    }
    case 'security-group-rule-create': {
      const { state: next, rule } = createRule(state, cmd.group, cmd.rule);
      await apply(next);
      ctx.out(`Created a new security_group_rule: ${rule.id} in ${cmd.group} (${describeRule(rule)})`);
      return 0;
    }
    case 'security-group-rule-delete': {
      const { state: next, rule } = deleteRule(state, cmd.id);
      await apply(next);
      ctx.out(`Deleted security_group_rule: ${rule.id} (${describeRule(rule)})`);
      return 0;
    }
    case 'security-group-rule-list':
      ctx.out(`${'id'.padEnd(12)} ${'security_group'.padEnd(14)} rule`);
      for (const g of state.groups) for (const r of g.rules) ctx.out(`${r.id.padEnd(12)} ${g.name.padEnd(14)} ${describeRule(r)}`);
      return 0;
    case 'port-create': {
      const { state: next, port } = createPort(lab, state, cmd.request);
      await apply(next);
      ctx.out(`Created a new port: ${port.id} (${describeCreatedPort(port)})`);
      return 0;
    }
    case 'port-delete': {
      const { state: next, port } = deletePort(state, cmd.id);
      await apply(next);
      ctx.out(`Deleted port: ${port.id} (${port.address} is free again)`);
      return 0;
    }
    case 'port-show': {
      if (cmd.created) {
        const made = state.created?.find((c) => c.id === cmd.port);
        if (!made)
          throw new UserError(`Port ${cmd.port} could not be found`, `ports: ${[...portsOf(lab), ...(state.created ?? []).map((c) => c.id)].join(', ')}`);
        ctx.out(`${made.id}: ${describeCreatedPort(made)}`);
        return 0;
      }
      ctx.out(`${cmd.port}: ${describePortNow(state, cmd.port)}`);
      return 0;
    }
    case 'port-list':
      ctx.out(`${'port'.padEnd(24)} ${'fixed_ip'.padEnd(16)} security`);
      for (const id of portsOf(lab)) ctx.out(`${id.padEnd(24)} ${addressOf(lab, id).padEnd(16)} ${describePortNow(state, id)}`);
      for (const c of state.created ?? []) ctx.out(`${c.id.padEnd(24)} ${c.address.padEnd(16)} ${describeCreatedPort(c)}`);
      return 0;
  }
}

/** Its security, and its admin state when it is down. */
function describePortNow(state: SecurityState, id: string): string {
  return `${describePort(portSecurity(state, id))}${adminStateUp(state, id) ? '' : '; admin_state_up False (dead VLAN 4095)'}`;
}

function addressOf(lab: Lab, id: string): string {
  return findPort(lab, id)?.address ?? '';
}
