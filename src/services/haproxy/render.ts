// haproxy.conf in the shape of Neutron LBaaS v2's namespace driver and seed 001's file:
// frontend named after the listener, backend after the pool, servers after the members,
// option tcplog (both LBaaS generations use it, for HTTP too). Where Neutron logs to
// /dev/log, the lab logs to a ring buffer its own socket serves, so haproxy's own lines
// ("Server ... is DOWN") reach lablb's event log without touching the host's syslog.

/** The ring haproxy logs into; lablb reads it with `show events`. */
export const LOG_RING = 'lablog';
import type { LabService } from '../../model.js';
import type { HaproxyFrontend, HaproxySpec } from './haproxy.js';

/** haproxy's time format: whole seconds as "5s", anything finer in milliseconds. */
const seconds = (s: number) => (Number.isInteger(s) ? `${s}s` : `${Math.max(1, Math.round(s * 1000))}ms`);

const BALANCE = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source' } as const;

export function renderHaproxyConf(lb: LabService<HaproxySpec>): string {
  const { frontends } = lb.spec;
  const connections = frontends.reduce((n, f) => n + f.listener.connectionLimit, 0);
  const lines = [
    // Which driver's file this is shaped after; the two differ in what one file may carry.
    lb.spec.generation === 'v1'
      ? '# LBaaS v1 (haproxy driver): one VIP, one port, one pool'
      : `# LBaaS v2 (haproxy namespace driver): one load balancer, ${frontends.length} listener${frontends.length > 1 ? 's' : ''} on its VIP`,
    'global',
    '    daemon',
    `    user ${lb.spec.user}`,
    `    group ${lb.spec.group}`,
    `    maxconn ${connections}`,
    `    pidfile ${lb.pidfile}`,
    `    log ring@${LOG_RING} local0`,
    // As Neutron: level user (reads only); mode 0600 in a root-only dir: no other local user
    // can reach it. lablb reads the log ring on a second socket (show events needs operator).
    `    stats socket ${lb.spec.statsSocket} mode 0600 level user`,
    `    stats socket ${lb.spec.eventsSocket} mode 0600 level operator`,
    '',
    `ring ${LOG_RING}`,
    '    format rfc3164',
    '    maxlen 1024',
    '    size 65536',
    '',
    'defaults',
    '    log global',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 5000',
    '    timeout client 50000',
    '    timeout server 50000',
    ...frontends.flatMap(frontendLines),
  ];
  return `${lines.join('\n')}\n`;
}

/** One listener's frontend and its pool's backend. */
function frontendLines({ listener, pool }: HaproxyFrontend): string[] {
  const mode = listener.protocol === 'HTTP' ? 'http' : 'tcp';
  const m = pool.monitor;
  return [
    '',
    `frontend ${listener.id}`,
    '    option tcplog',
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
}
