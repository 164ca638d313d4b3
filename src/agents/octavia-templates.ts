// The configs Octavia's controller renders and pushes to an amphora over its agent's REST API
// (amphorae/drivers/haproxy/templates and drivers/keepalived/jinja/templates): haproxy per
// listener, with a peers section in ACTIVE_STANDBY, the backend named <pool_id>:<listener_id>;
// keepalived with no `state` line, nopreempt, unicast to the peer's VRRP address and a
// vrrp_script asking haproxy's stats socket. Paths are the amphora agent's own directory, filled
// in by the agent (the controller never knows them), so the text carries a placeholder for it.

export const AMP_DIR = '{{amphora_dir}}';

export interface LbConfig {
  id: string;
  topology: 'SINGLE' | 'ACTIVE_STANDBY';
  vip: string;
  vipPrefix: number;
  listener: { id: string; protocolPort: number; protocol: 'HTTP' | 'TCP'; connectionLimit: number };
  pool: {
    id: string;
    algorithm: 'ROUND_ROBIN' | 'LEAST_CONNECTIONS' | 'SOURCE_IP';
    monitor: { delay: number; timeout: number; maxRetries: number; rise: number };
    members: { id: string; address: string; protocolPort: number }[];
  };
  vrrp: { advertInt: number; checkInterval: number; checkFall: number; checkRise: number; authPass: string };
}

export interface AmphoraRecord {
  id: string;
  vrrpIp: string;
  role: 'STANDALONE' | 'MASTER' | 'BACKUP';
}

const BALANCE = { ROUND_ROBIN: 'roundrobin', LEAST_CONNECTIONS: 'leastconn', SOURCE_IP: 'source' } as const;

/** Octavia names peers after the amphora, without its dashes. */
export const peerName = (amphoraId: string): string => amphoraId.replaceAll('-', '');

export function renderAmphoraHaproxy(lb: LbConfig, amphorae: AmphoraRecord[]): string {
  const { listener, pool } = lb;
  const mode = listener.protocol === 'HTTP' ? 'http' : 'tcp';
  const m = pool.monitor;
  const backend = `${pool.id}:${listener.id}`;
  return [
    `# Configuration for loadbalancer ${lb.id}`,
    'global',
    '    daemon',
    '    user nobody',
    '    group nogroup',
    `    stats socket ${AMP_DIR}/${listener.id}.sock mode 0666 level user`,
    `    maxconn ${listener.connectionLimit}`,
    '',
    'defaults',
    '    retries 3',
    '    option redispatch',
    '    timeout connect 5000',
    '    timeout client 50000',
    '    timeout server 50000',
    ...(lb.topology === 'ACTIVE_STANDBY' ? ['', `peers ${peerName(lb.id)}_peers`, ...amphorae.map((a) => `    peer ${peerName(a.id)} ${a.vrrpIp}:1025`)] : []),
    '',
    `frontend ${listener.id}`,
    `    option ${mode === 'http' ? 'httplog' : 'tcplog'}`,
    `    maxconn ${listener.connectionLimit}`,
    `    bind ${lb.vip}:${listener.protocolPort}`,
    `    mode ${mode}`,
    `    default_backend ${backend}`,
    '',
    `backend ${backend}`,
    `    mode ${mode}`,
    `    balance ${BALANCE[pool.algorithm]}`,
    `    timeout check ${m.timeout}s`,
    ...(mode === 'http' ? ['    option httpchk GET /', '    http-check expect rstatus 200'] : []),
    ...pool.members.map((mb) => `    server ${mb.id} ${mb.address}:${mb.protocolPort} weight 1 check inter ${m.delay}s fall ${m.maxRetries} rise ${m.rise}`),
    '',
  ].join('\n');
}

/** keepalived for one amphora of an ACTIVE_STANDBY pair: MASTER 100, BACKUP 90; `preempt`
 *  renders the story 2010595 mistake (state MASTER, no nopreempt) for pitfall 9. */
export function renderAmphoraKeepalived(lb: LbConfig, self: AmphoraRecord, peers: AmphoraRecord[], opts: { preempt?: boolean } = {}): string {
  const v = lb.vrrp;
  return [
    'global_defs {',
    `    router_id ${peerName(self.id)}`,
    '    script_user root',
    '    enable_script_security',
    '}',
    '',
    'vrrp_script check_script {',
    `    script ${AMP_DIR}/vrrp/check_script.sh`,
    `    interval ${v.checkInterval}`,
    `    fall ${v.checkFall}`,
    `    rise ${v.checkRise}`,
    '}',
    '',
    `vrrp_instance ${peerName(lb.id)} {`,
    ...(opts.preempt ? ['    state MASTER'] : []),
    '    interface eth1',
    '    virtual_router_id 1',
    `    priority ${self.role === 'MASTER' ? 100 : 90}`,
    ...(opts.preempt ? [] : ['    nopreempt']),
    '    accept',
    '    garp_master_refresh 5',
    '    garp_master_refresh_repeat 2',
    `    advert_int ${v.advertInt}`,
    '    authentication {',
    '        auth_type PASS',
    `        auth_pass ${v.authPass}`,
    '    }',
    `    unicast_src_ip ${self.vrrpIp}`,
    '    unicast_peer {',
    ...peers.map((p) => `        ${p.vrrpIp}`),
    '    }',
    '    virtual_ipaddress {',
    `        ${lb.vip}`,
    '    }',
    '    track_script {',
    '        check_script',
    '    }',
    '}',
    '',
  ].join('\n');
}

/** What lablb's octavia kind hands the controller (one JSON file): the load balancer, the
 *  ports Neutron would hold for it, and the health manager's settings. */
export interface ControllerConfig {
  /** node/service, told beside what the lab's API did for it. */
  self: string;
  lb: LbConfig;
  /** Where heartbeats come in: the controller's lb-mgmt-net address, port 5555. */
  bind: string;
  /** Octavia's API (octavia-api's 9876, on the same address): the amphora table and failover. */
  api: string;
  /** How long Nova takes to boot an amphora: the controller waits this long before it talks to
   *  a new one (the lab's namespaces are ready in well under a second; a VM takes 30 s or more). */
  bootDelayMs: number;
  heartbeatKey: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  healthCheckIntervalMs: number;
  agentPort: number;
  apiPrefix: string;
  /** The lab's API socket (boot and delete an amphora), and the database file. */
  labApi: string;
  db: string;
  /** The lab's secret, sent with every request to an amphora's agent. */
  keyFile: string;
  /** Pitfall 9: the replacement rendered with state MASTER and no nopreempt. */
  preempt: boolean;
  /** Mitaka's (the article's): delete the stale amphora, then build; Rocky's and later: build
   *  and plug the replacement on a new VRRP port, then delete the old one. */
  failoverOrder: FailoverOrder;
  management: { network: string; prefix: number; addresses: string[] };
  /** Amphorae in boot order (the article's ids first); more get random ids. */
  amphorae: { id: string; computeId?: string; mgmtPortId?: string; mgmtMac?: string }[];
  vip: { address: string; portId: string; network: string; cidr: string; gateway: string };
  /** The VRRP ports: [0] the MASTER's (or STANDALONE's), [1] the BACKUP's, then spares that
   *  a build-first failover takes (Neutron would create one). */
  vrrpPorts: { id: string; address: string; mac: string }[];
  /** Port security on the VRRP ports: this group, and the VIP as an allowed address pair. */
  vrrpSecurityGroup?: string;
}

/** One row of Octavia's amphora table, as `select * from amphora` shows it, plus where the
 *  lab runs it. */
export interface AmphoraRow {
  id: string;
  compute_id: string;
  status: 'BOOTING' | 'ALLOCATED' | 'PENDING_DELETE' | 'DELETED' | 'ERROR';
  load_balancer_id: string;
  lb_network_ip: string;
  vrrp_ip: string;
  ha_ip: string;
  vrrp_port_id: string;
  ha_port_id: string;
  role: 'STANDALONE' | 'MASTER' | 'BACKUP';
  vrrp_interface: string | null;
  vrrp_id: number;
  vrrp_priority: number | null;
  /** The lab's nodes: the amphora's main namespace and its amphora-haproxy namespace. */
  node: string;
  haproxy_node: string;
  mgmt_port_id: string;
  /** Its lb-mgmt-net port's MAC (Neutron's), kept to boot it with. */
  mgmt_mac: string;
  created_at: string;
}

export type FailoverOrder = 'delete-first' | 'build-first';

/** One failover, with its moments (ms since the epoch). */
export interface FailoverRecord {
  amphora: string;
  replacement?: string;
  order: FailoverOrder;
  /** When the health manager saw it stale. */
  staleAt: number;
  deletedAt?: number;
  bootedAt?: number;
  doneAt?: number;
  error?: string;
}

/** The controller's database file, rewritten on every change. */
export interface OctaviaDb {
  loadbalancer: { id: string; vip_address: string; provisioning_status: string; operating_status: string; topology: string; error?: string };
  amphorae: AmphoraRow[];
  /** Per amphora: its last heartbeat, whether a failover holds it, and its members as it
   *  told them (member id -> UP, DOWN or no check). */
  amphora_health: Record<string, { last_update: number; busy: boolean; members: Record<string, string> }>;
  /** ignored: well signed, but from an ALLOCATED amphora reporting another listener count
   *  than the database's (its haproxy is down): no health, so it goes stale. */
  heartbeats: { received: number; dropped: number; lastDropReason?: string; ignored?: number };
  /** Members as the last heartbeats told them (pool id -> member id -> status). */
  members: Record<string, string>;
  failovers: FailoverRecord[];
}
