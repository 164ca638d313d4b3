// haproxy.conf in the shape of Neutron LBaaS v2's namespace driver and seed 001's file:
// frontend named after the listener, backend after the pool, servers after the members.
import type { LabService } from '../../model.js';
import type { HaproxySpec } from './haproxy.js';

/** haproxy's time format: whole seconds as "5s", anything finer in milliseconds. */
const seconds = (s: number) => (Number.isInteger(s) ? `${s}s` : `${Math.max(1, Math.round(s * 1000))}ms`);

const BALANCE = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source' } as const;

export function renderHaproxyConf(lb: LabService<HaproxySpec>): string {
  const { listener, pool } = lb.spec;
  const mode = listener.protocol === 'HTTP' ? 'http' : 'tcp';
  const m = pool.monitor;
  const lines = [
    'global',
    '    daemon',
    `    user ${lb.spec.user}`,
    `    group ${lb.spec.group}`,
    `    maxconn ${listener.connectionLimit}`,
    `    pidfile ${lb.pidfile}`,
    // As Neutron: level user (reads only); mode 0600: no other local user can drive it.
    `    stats socket ${lb.spec.statsSocket} mode 0600 level user`,
    '',
    'defaults',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 5000',
    '    timeout client 50000',
    '    timeout server 50000',
    '',
    `frontend ${listener.id}`,
    `    option ${mode === 'http' ? 'httplog' : 'tcplog'}`,
    `    bind ${listener.address}:${listener.port}`,
    `    mode ${mode}`,
    `    default_backend ${pool.id}`,
    `    maxconn ${listener.connectionLimit}`,
    ...(mode === 'http' ? ['    option forwardfor'] : []),
    '',
    `backend ${pool.id}`,
    `    mode ${mode}`,
    `    balance ${BALANCE[pool.lbMethod]}`,
    ...(mode === 'http' ? ['    option forwardfor'] : []),
    `    timeout check ${seconds(m.timeout)}`,
    ...(m.type === 'HTTP' ? [`    option httpchk GET ${m.urlPath}`, '    http-check expect rstatus 200'] : []),
    ...pool.members.map(
      (s) => `    server ${s.id} ${s.address}:${s.port} weight ${s.weight} check inter ${seconds(m.delay)} fall ${m.maxRetries} rise ${m.rise}`,
    ),
  ];
  return `${lines.join('\n')}\n`;
}
