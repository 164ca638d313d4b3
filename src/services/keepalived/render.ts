// keepalived.conf for a node's VRRP instances, in the shape Neutron's L3 HA writes (every node
// starts as BACKUP unless the scenario says otherwise; the priority decides).
import type { LabService } from '../../model.js';
import type { KeepalivedSpec } from './keepalived.js';

export function renderKeepalivedConf(k: LabService<KeepalivedSpec>): string {
  const lines = ['global_defs {', `    router_id ${k.node}`, '}'];
  for (const i of k.spec.instances) {
    lines.push(
      '',
      `vrrp_instance ${i.name} {`,
      `    state ${i.state}`,
      `    interface ${i.interface}`,
      `    virtual_router_id ${i.vrid}`,
      `    priority ${i.priority}`,
      `    advert_int ${i.advertInt}`,
      ...(i.nopreempt ? ['    nopreempt'] : []),
      '    virtual_ipaddress {',
      ...i.vips.map((v) => `        ${v.address}/${v.prefix} dev ${i.interface}`),
      '    }',
      '}',
    );
  }
  return `${lines.join('\n')}\n`;
}
