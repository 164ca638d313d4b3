// Neutron's port security changed on the running lab, named after the CLI actions a person
// types (seed 003): `neutron port-update` (allowed address pairs, security groups, port
// security on or off), `neutron security-group-rule-create` / `-delete`. Each rewrites the
// switch's flows from the lab's security state, then times what follows like any step.
import { z } from 'zod';
import { Name, PortRef } from '../kinds/fields.js';
import type { StepContext, StepResolveContext } from '../kinds/step-kind.js';
import { findPort, type Lab } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { portMacs, readSecurity, securityOps } from '../security/apply.js';
import { createRule, deleteRule, updatePort, type PortChange } from '../security/changes.js';
import { adminStateOps } from '../links/links.js';
import { describeRule, type SecurityRule, type SecurityState } from '../security/model.js';
import { AddressPair, ruleOf, SecurityRuleBlock } from '../security/schema.js';
import { actionStep } from './action-step.js';

/** Reads the state now, changes it, and returns the ops that write it and enforce it. */
async function change(lab: Lab, ctx: StepContext, edit: (s: SecurityState) => SecurityState): Promise<Op[]> {
  const next = edit(readSecurity(ctx.host, lab));
  return securityOps(lab, next, await portMacs(ctx.host, lab, next));
}

/** The flows follow from the lab's security state when the step runs, so explain names the
 *  change as typed and what lablb does with it. */
function explainChange(what: string): string[] {
  return [`# ${what}`, "# (lablb rewrites the security state, then replaces every bridge's flow table with ovs-ofctl replace-flows)"];
}

function group(name: string, ctx: StepResolveContext, path: (string | number)[]): void {
  const known = (ctx.lab.securityGroups ?? []).map((g) => g.name);
  if (!known.includes(name)) ctx.report(path, ctx.unknown('security group', name, known));
}

/** "port-update keepalived01/eth0 --allowed-address-pairs 172.16.200.251" and so on. */
export function describePortChange(c: PortChange): string {
  const parts = [`neutron port-update ${c.port}`];
  if (c.pairs)
    parts.push(
      c.pairs.length ? `--allowed-address-pairs ${c.pairs.map((p) => p.ip + (p.mac ? `,${p.mac}` : '')).join(' ')}` : '--allowed-address-pairs action=clear',
    );
  if (c.groups) parts.push(c.groups.length ? c.groups.map((g) => `--security-group ${g}`).join(' ') : '--no-security-groups');
  if (c.enabled !== undefined) parts.push(`--port_security_enabled=${c.enabled ? 'True' : 'False'}`);
  if (c.adminStateUp !== undefined) parts.push(`--admin-state-up ${c.adminStateUp ? 'True' : 'False'}`);
  return parts.join(' ');
}

export const portUpdate = actionStep({
  kind: 'port-update',
  description: "neutron port-update: a port's allowed address pairs, security groups, port security or admin state, changed on the running lab",
  fields: {
    port: PortRef.describe('the port, as node/port'),
    allowed_address_pairs: z.array(AddressPair).max(64).optional().describe('the pairs it may use from now on ([] clears them)'),
    security_groups: z.array(Name).max(16).optional().describe('its groups from now on ([]: --no-security-groups)'),
    port_security_enabled: z.boolean().optional().describe('port security on or off (off needs no groups and no pairs, as in Neutron)'),
    admin_state_up: z
      .boolean()
      .optional()
      .describe("false: the OVS agent moves the port to the dead VLAN (4095), its link still up (seed 004's trigger); true: back on its network"),
  },
  example: `name: allow-vip
kind: port-update
port: keepalived01/eth0
allowed_address_pairs: [{ ip_address: 172.16.200.251 }]`,
  resolveAction(b, ctx): PortChange {
    ctx.port(b.port, ['port']);
    b.security_groups?.forEach((g, i) => group(g, ctx, ['security_groups', i]));
    if (!b.allowed_address_pairs && !b.security_groups && b.port_security_enabled === undefined && b.admin_state_up === undefined) {
      ctx.report([], 'say what changes: allowed_address_pairs, security_groups, port_security_enabled or admin_state_up');
    }
    return {
      port: b.port,
      ...(b.allowed_address_pairs
        ? { pairs: b.allowed_address_pairs.map((a) => ({ ip: a.ip_address, ...(a.mac_address ? { mac: a.mac_address } : {}) })) }
        : {}),
      ...(b.security_groups ? { groups: b.security_groups } : {}),
      ...(b.port_security_enabled !== undefined ? { enabled: b.port_security_enabled } : {}),
      ...(b.admin_state_up !== undefined ? { adminStateUp: b.admin_state_up } : {}),
    };
  },
  live: {
    ops: async (c, lab, ctx) => [
      // The admin state is in the state too: the flows drop what a down port sends.
      ...(await change(lab, ctx, (s) => updatePort(lab, s, c))),
      ...(c.adminStateUp !== undefined ? adminStateOps(lab, findPort(lab, c.port)!, c.adminStateUp) : []),
    ],
    explain: (c) => explainChange(describePortChange(c)),
  },
  done: describePortChange,
});

interface RuleAction {
  group: string;
  rule: Omit<SecurityRule, 'id'>;
}

const ruleFields = { security_group: Name.describe('the group'), ...SecurityRuleBlock.shape };

function resolveRule(b: z.infer<typeof SecurityRuleBlock> & { security_group: string }, ctx: StepResolveContext): RuleAction {
  group(b.security_group, ctx, ['security_group']);
  const { security_group, ...rule } = b;
  return { group: security_group, rule: ruleOf(rule, ctx.report) };
}

export const securityGroupRuleCreate = actionStep({
  kind: 'security-group-rule-create',
  description: 'neutron security-group-rule-create: a new allow rule in a group, on the running lab',
  fields: ruleFields,
  example: '{ name: allow-vrrp, kind: security-group-rule-create, security_group: web, direction: ingress, protocol: vrrp }',
  resolveAction: resolveRule,
  live: {
    ops: (a, lab, ctx) => change(lab, ctx, (s) => createRule(s, a.group, a.rule).state),
    explain: (a) => explainChange(`neutron security-group-rule-create ${a.group}: ${describeRule({ id: '', ...a.rule })}`),
  },
  done: (a) => `neutron security-group-rule-create ${a.group}: ${describeRule({ id: '', ...a.rule })}`,
});

export const securityGroupRuleDelete = actionStep({
  kind: 'security-group-rule-delete',
  description: "neutron security-group-rule-delete: the group's rule with these fields removed, on the running lab",
  fields: ruleFields,
  example: '{ name: deny-vrrp, kind: security-group-rule-delete, security_group: web, direction: ingress, protocol: vrrp }',
  resolveAction: resolveRule,
  live: {
    ops: (a, lab, ctx) =>
      change(lab, ctx, (s) => {
        const wanted = describeRule({ id: '', ...a.rule });
        const found = s.groups.find((g) => g.name === a.group)?.rules.find((r) => describeRule(r) === wanted);
        // Refused the way Neutron refuses an unknown rule id.
        return deleteRule(s, found?.id ?? `${a.group}: ${wanted}`).state;
      }),
    explain: (a) => explainChange(`neutron security-group-rule-delete ${a.group}: ${describeRule({ id: '', ...a.rule })}`),
  },
  done: (a) => `neutron security-group-rule-delete ${a.group}: ${describeRule({ id: '', ...a.rule })}`,
});
