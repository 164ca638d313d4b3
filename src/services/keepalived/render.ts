// keepalived.conf for a node's VRRP instances, in the shape Neutron's L3 HA writes (every node
// starts as BACKUP unless the scenario says otherwise; the priority decides).
import { dirname, join } from 'node:path';
import type { VrrpHooks } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { shellLine } from '../../shell.js';
import type { KeepalivedSpec } from './keepalived.js';

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
      ? ['case "$3" in', '  MASTER)', ...run(hooks.master), '    ;;', '  BACKUP)', ...run(hooks.backup), '    ;;', 'esac']
      : []),
    '',
  ].join('\n');
}

export function renderKeepalivedConf(k: LabService<KeepalivedSpec>, notify = k.spec.instances.some((i) => i.stateFile)): string {
  // Script security: keepalived runs notify scripts only from root-owned, root-only paths.
  const lines = [
    'global_defs {',
    `    router_id ${k.node}`,
    ...(k.spec.startupDelay !== undefined ? [`    vrrp_startup_delay ${k.spec.startupDelay}`] : []),
    ...(notify ? ['    script_user root', '    enable_script_security'] : []),
    '}',
  ];
  for (const i of k.spec.instances) {
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
      ...(notify ? [`    notify "${notifyScript(k)}"`] : []),
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}

function block(name: string, items: string[]): string[] {
  return items.length ? [`    ${name} {`, ...items.map((x) => `        ${x}`), '    }'] : [];
}
