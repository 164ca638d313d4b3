// keepalived.conf for a node's VRRP instances, in the shape Neutron's L3 HA writes (every node
// starts as BACKUP unless the scenario says otherwise; the priority decides).
import { dirname, join } from 'node:path';
import type { VrrpHooks } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { shellLine } from '../../shell.js';
import type { KeepalivedSpec, VrrpInstance } from './keepalived.js';

/** The notify script lablb writes beside the config (never scenario text). */
export function notifyScript(k: LabService<KeepalivedSpec>): string {
  return join(dirname(k.spec.config), `${k.name}.notify.sh`);
}

/** keepalived calls it with: INSTANCE, the instance's name, its new state, its priority. It
 *  writes the state, and runs what other services on the node asked for (lablb's own argv,
 *  never scenario text, quoted for the shell all the same). */
export function renderNotifyScript(hooks: VrrpHooks = { master: [], backup: [] }): string {
  const run = (argvs: string[][]) => argvs.map((a) => `    ${shellLine(a)}`);
  return [
    '#!/bin/sh',
    '# keepalived notify: $1 INSTANCE, $2 its name, $3 MASTER|BACKUP|FAULT|STOP, $4 priority.',
    "# Writes the state, lowercase, to <name>.state beside this script (seed 002's notify_*).",
    'case "$3" in MASTER) s=master ;; BACKUP) s=backup ;; FAULT) s=fault ;; *) s=stop ;; esac',
    'echo "$s" > "$(dirname "$0")/$2.state"',
    ...(hooks.master.length || hooks.backup.length
      ? ['case "$3" in', '  MASTER)', ...run(hooks.master), '    ;;', '  BACKUP|FAULT)', ...run(hooks.backup), '    ;;', 'esac']
      : []),
    '',
  ].join('\n');
}

/** Neutron's ha_check_script_<vrid>.sh: a node without the router's first VIP is healthy (a
 *  BACKUP has nothing to check); the MASTER must reach every gateway, one ping each. */
export function renderCheckScript(i: VrrpInstance): string {
  return [
    '#!/bin/bash -eu',
    `ip a | grep ${i.vips[0].address} || exit 0`,
    ...(i.healthCheck?.gateways ?? []).map((g) => `ping -c 1 -w 1 ${g} 1>/dev/null || exit 1`),
    '',
  ].join('\n');
}

/** The name keepalived knows an instance's check by (Neutron's). */
const checkName = (i: VrrpInstance) => `ha_health_check_${i.vrid}`;

export function renderKeepalivedConf(k: LabService<KeepalivedSpec>, notify = k.spec.instances.some((i) => i.stateFile)): string {
  // Script security: keepalived runs notify scripts only from root-owned, root-only paths.
  const lines = [
    'global_defs {',
    `    router_id ${k.node}`,
    ...(k.spec.startupDelay !== undefined ? [`    vrrp_startup_delay ${Number(k.spec.startupDelay.toFixed(3))}`] : []),
    ...(notify || k.spec.instances.some((i) => i.healthCheck) ? ['    script_user root', '    enable_script_security'] : []),
    '}',
  ];
  for (const i of k.spec.instances) {
    if (i.healthCheck)
      lines.push(
        '',
        `vrrp_script ${checkName(i)} {`,
        `    script "${i.healthCheck.script}"`,
        `    interval ${i.healthCheck.intervalS}`,
        '    fall 2',
        '    rise 2',
        '}',
      );
    lines.push(
      '',
      `vrrp_instance ${i.name} {`,
      `    state ${i.state}`,
      `    interface ${i.interface}`,
      `    virtual_router_id ${i.vrid}`,
      `    priority ${i.priority}`,
      `    advert_int ${i.advertInt}`,
      // Version 2 is keepalived's default, and Neutron writes no version line.
      ...(i.version === 3 ? ['    version 3'] : []),
      ...(i.nopreempt ? ['    nopreempt'] : []),
      ...(i.garpDelay !== undefined ? [`    garp_master_delay ${i.garpDelay}`] : []),
      ...(i.garpRefresh ? [`    garp_master_refresh ${i.garpRefresh}`] : []),
      ...block('track_interface', i.track),
      '    virtual_ipaddress {',
      ...i.vips.map((v) => `        ${v.address}/${v.prefix} dev ${i.interface}`),
      '    }',
      ...block(
        'virtual_ipaddress_excluded',
        i.excluded.map((x) => `${x.address}/${x.prefix} dev ${x.dev}`),
      ),
      ...block(
        'virtual_routes',
        i.routes.map((r) => `${r.to} via ${r.via} dev ${r.dev}`),
      ),
      ...(i.healthCheck ? block('track_script', [checkName(i)]) : []),
      ...(notify ? [`    notify "${notifyScript(k)}"`] : []),
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

function block(name: string, items: string[]): string[] {
  return items.length ? [`    ${name} {`, ...items.map((x) => `        ${x}`), '    }'] : [];
}
