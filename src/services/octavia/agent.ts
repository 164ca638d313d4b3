// Octavia's controller inside the lab: the worker that creates a load balancer's amphorae and
// the health manager that replaces one whose heartbeats stop (seed 004). It boots and deletes
// amphorae through the lab's API (as Octavia asks Nova), configures them only through their
// agents' REST API over lb-mgmt-net, listens for signed heartbeats on UDP 5555, and keeps its
// database (the article's amphora table) in a JSON file that lablb's observer reads.
import { randomBytes, randomUUID } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { parseArgs } from 'node:util';
import { decodeHeartbeat } from '../../agents/heartbeat.js';
import {
  renderAmphoraHaproxy,
  renderAmphoraKeepalived,
  type AmphoraRow,
  type ControllerConfig,
  type FailoverRecord,
  type OctaviaDb,
} from '../../agents/octavia-templates.js';

const { values } = parseArgs({ options: { config: { type: 'string' }, pidfile: { type: 'string' } } });
if (!values.config) {
  process.stderr.write('usage: octavia --config FILE [--pidfile FILE]\n');
  process.exit(2);
}
const cfg = JSON.parse(readFileSync(values.config, 'utf8')) as ControllerConfig;
const { lb } = cfg;
const labKey = readFileSync(cfg.keyFile, 'utf8').trim();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function log(level: string, logger: string, message: string): void {
  const d = new Date().toISOString().replace('T', ' ').replace('Z', '');
  process.stdout.write(`${d} ${process.pid} ${level} ${logger} [-] ${message}\n`);
}

// --- the database -----------------------------------------------------------------------------

const db: OctaviaDb = {
  loadbalancer: { id: lb.id, vip_address: lb.vip, provisioning_status: 'PENDING_CREATE', operating_status: 'OFFLINE', topology: lb.topology },
  amphorae: [],
  amphora_health: {},
  heartbeats: { received: 0, dropped: 0 },
  members: {},
  failovers: [],
};
function save(): void {
  writeFileSync(`${cfg.db}.new`, JSON.stringify(db, null, 1));
  renameSync(`${cfg.db}.new`, cfg.db);
}
function setStatus(amp: AmphoraRow, status: AmphoraRow['status']): void {
  log('INFO', 'octavia.controller.worker', `amphora ${amp.id} ${amp.status} -> ${status}`);
  amp.status = status;
  save();
}
function setLb(status: string): void {
  db.loadbalancer.provisioning_status = status;
  if (status === 'ACTIVE') db.loadbalancer.operating_status = 'ONLINE';
  log('INFO', 'octavia.controller.worker', `loadbalancer ${lb.id} provisioning_status ${status}`);
  save();
}

// --- the lab's API (Nova, for the lab) ---------------------------------------------------------

function labApi(req: object): Promise<{ ok: boolean; error?: string }> {
  return new Promise((resolve, reject) => {
    const sock = connect(cfg.labApi);
    let buf = '';
    sock.setTimeout(60_000, () => sock.destroy(new Error('the lab API did not answer in 60 s')));
    sock.on('connect', () => sock.write(`${JSON.stringify({ ...req, by: cfg.self })}\n`));
    sock.on('data', (d) => {
      buf += d.toString();
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        sock.end();
        resolve(JSON.parse(buf.slice(0, nl)) as { ok: boolean; error?: string });
      }
    });
    sock.on('error', reject);
  });
}
/** The lab serves its API once the experiment starts: until then, try again. */
async function labCall(req: object): Promise<void> {
  for (let tries = 0; ; tries++) {
    try {
      const answer = await labApi(req);
      if (!answer.ok) throw new Error(answer.error);
      return;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if ((code === 'ENOENT' || code === 'ECONNREFUSED') && tries < 1200) {
        await sleep(100);
        continue;
      }
      throw err;
    }
  }
}

// --- the amphora agent's REST API ---------------------------------------------------------------

function rest(amp: AmphoraRow, method: string, path: string, body?: string | object, timeoutMs = 15_000): Promise<{ status: number; text: string }> {
  const data = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: amp.lb_network_ip,
        port: cfg.agentPort,
        path: `${cfg.apiPrefix}/${path}`,
        method,
        timeout: timeoutMs,
        headers: { 'X-Lablb-Key': labKey, ...(data ? { 'Content-Length': Buffer.byteLength(data) } : {}) },
      },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(data);
  });
}
async function call(amp: AmphoraRow, method: string, path: string, body?: string | object): Promise<void> {
  const r = await rest(amp, method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${cfg.apiPrefix}/${path} on ${amp.lb_network_ip}: ${r.status} ${r.text.trim()}`);
}
/** Until the agent answers (the VM has booted). */
async function waitForAgent(amp: AmphoraRow): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      if ((await rest(amp, 'GET', 'info', undefined, 1000)).status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`amphora ${amp.id}: its agent never answered on ${amp.lb_network_ip}:${cfg.agentPort}`);
    await sleep(100);
  }
}

// --- amphorae ----------------------------------------------------------------------------------

let booted = 0;
const usedAddresses = new Set<string>();
const randomMac = () => `fa:16:3e:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;

function newAmphora(role: AmphoraRow['role'], vrrp: ControllerConfig['vrrpPorts'][number]): AmphoraRow {
  const slot = cfg.amphorae[booted++] ?? { id: randomUUID() };
  const address = cfg.management.addresses.find((a) => !usedAddresses.has(a));
  if (!address) throw new Error(`no lb-mgmt-net address left for a new amphora (${cfg.management.addresses.join(', ')} are taken)`);
  usedAddresses.add(address);
  const node = `amphora-${slot.id.slice(0, 8)}`;
  const amp: AmphoraRow = {
    id: slot.id,
    compute_id: slot.computeId ?? randomUUID(),
    status: 'BOOTING',
    load_balancer_id: lb.id,
    lb_network_ip: address,
    vrrp_ip: vrrp.address,
    ha_ip: cfg.vip.address,
    vrrp_port_id: vrrp.id,
    ha_port_id: cfg.vip.portId,
    role,
    vrrp_interface: null,
    vrrp_id: 1,
    vrrp_priority: role === 'STANDALONE' ? null : role === 'MASTER' ? 100 : 90,
    node,
    haproxy_node: `${node}-haproxy`,
    mgmt_port_id: slot.mgmtPortId ?? randomUUID(),
    mgmt_mac: slot.mgmtMac ?? randomMac(),
    created_at: new Date().toISOString(),
  };
  return amp;
}

/** Nova boots the VM: its namespace with eth0 on lb-mgmt-net, the VRRP port plugged in but
 *  not set up, and its amphora-haproxy namespace; the agent starts with it. */
async function boot(amp: AmphoraRow): Promise<void> {
  const vrrp = cfg.vrrpPorts.find((p) => p.id === amp.vrrp_port_id)!;
  db.amphorae.push(amp);
  save();
  log('INFO', 'octavia.controller.worker', `booting amphora ${amp.id} (lb_network_ip ${amp.lb_network_ip}, vrrp port ${amp.vrrp_port_id})`);
  await labCall({ op: 'add-node', node: { name: amp.haproxy_node, role: 'amphora', ports: [], sysctls: { 'net.ipv4.ip_nonlocal_bind': 1 } } });
  await labCall({
    op: 'add-node',
    node: {
      name: amp.node,
      role: 'amphora',
      ports: [
        {
          name: 'eth0',
          network: cfg.management.network,
          address: amp.lb_network_ip,
          bridge_port: `tap${amp.mgmt_port_id.slice(0, 11)}`,
          mac: amp.mgmt_mac,
          id: amp.mgmt_port_id,
        },
        {
          name: 'eth1',
          network: cfg.vip.network,
          address: vrrp.address,
          bridge_port: `tap${vrrp.id.slice(0, 11)}`,
          mac: vrrp.mac,
          id: vrrp.id,
          plug_only: true,
          // As Neutron holds the VRRP port: its group, and the VIP it may answer for.
          ...(cfg.vrrpSecurityGroup ? { security_groups: [cfg.vrrpSecurityGroup], allowed_address_pairs: [{ ip_address: cfg.vip.address }] } : {}),
        },
      ],
      services: [
        {
          name: 'amphora-agent',
          kind: 'amphora-agent',
          amphora_id: amp.id,
          listen: `${amp.lb_network_ip}:${cfg.agentPort}`,
          api_prefix: cfg.apiPrefix,
          controller: cfg.bind,
          heartbeat_key: cfg.heartbeatKey,
          heartbeat_interval_ms: cfg.heartbeatIntervalMs,
          haproxy_namespace: amp.haproxy_node,
        },
      ],
    },
  });
  if (cfg.bootDelayMs) await sleep(cfg.bootDelayMs);
  await waitForAgent(amp);
}

const live = () => db.amphorae.filter((a) => a.status !== 'DELETED' && a.status !== 'PENDING_DELETE');

async function plugVip(amp: AmphoraRow): Promise<void> {
  const vrrp = cfg.vrrpPorts.find((p) => p.id === amp.vrrp_port_id)!;
  await call(amp, 'POST', `plug/vip/${cfg.vip.address}`, {
    subnet_cidr: cfg.vip.cidr,
    gateway: cfg.vip.gateway,
    mac_address: vrrp.mac,
    vrrp_ip: amp.vrrp_ip,
    topology: lb.topology,
  });
}
/** Tells an amphora its keepalived config (peers: the other live amphorae), then starts it, or
 *  reloads it (a survivor learning its new peer). */
async function vrrpUp(amp: AmphoraRow, opts: { preempt?: boolean; action?: 'start' | 'reload' } = {}): Promise<void> {
  const r = await rest(amp, 'GET', `interface/${amp.vrrp_ip}`);
  amp.vrrp_interface = (JSON.parse(r.text) as { interface?: string }).interface ?? null;
  save();
  const peers = live().filter((a) => a.id !== amp.id);
  await call(
    amp,
    'PUT',
    'vrrp/upload',
    renderAmphoraKeepalived(
      lb,
      { id: amp.id, vrrpIp: amp.vrrp_ip, role: amp.role },
      peers.map((p) => ({ id: p.id, vrrpIp: p.vrrp_ip, role: p.role })),
      opts,
    ),
  );
  await call(amp, 'PUT', `vrrp/${opts.action ?? 'start'}`);
}
async function listenerUpdate(amp: AmphoraRow): Promise<void> {
  const config = renderAmphoraHaproxy(
    lb,
    live().map((a) => ({ id: a.id, vrrpIp: a.vrrp_ip, role: a.role })),
  );
  await call(amp, 'PUT', `listeners/${amp.id}/${lb.listener.id}/haproxy`, config);
}

async function createLoadBalancer(): Promise<void> {
  const roles: AmphoraRow['role'][] = lb.topology === 'SINGLE' ? ['STANDALONE'] : ['MASTER', 'BACKUP'];
  const amps = roles.map((role, i) => newAmphora(role, cfg.vrrpPorts[i]));
  await Promise.all(amps.map(boot));
  for (const amp of amps) await plugVip(amp);
  for (const amp of amps) {
    await listenerUpdate(amp);
    await call(amp, 'PUT', `listeners/${lb.listener.id}/start`);
  }
  if (lb.topology === 'ACTIVE_STANDBY') for (const amp of amps) await vrrpUp(amp);
  for (const amp of amps) setStatus(amp, 'ALLOCATED');
  setLb('ACTIVE');
}

/** Nova deletes the VM: it vanishes, processes and all (no clean shutdown, so keepalived sends
 *  no priority-0 goodbye), with its namespaces and ports. */
async function deleteAmphora(old: AmphoraRow, record: FailoverRecord): Promise<void> {
  setStatus(old, 'PENDING_DELETE');
  await labCall({ op: 'remove-node', name: old.node, hard: true });
  await labCall({ op: 'remove-node', name: old.haproxy_node, hard: true });
  delete db.amphora_health[old.id];
  record.deletedAt = Date.now();
  setStatus(old, 'DELETED');
}

const portOf = (amp: AmphoraRow) => cfg.vrrpPorts.find((p) => p.id === amp.vrrp_port_id)!;

/** The article's flow (Mitaka): delete the stale amphora, then build its replacement with the
 *  old one's VRRP port, configure it through its agent, and start it. */
async function deleteFirst(old: AmphoraRow, record: FailoverRecord): Promise<AmphoraRow> {
  await deleteAmphora(old, record);
  // The old address stays taken until the new VM has its own: Neutron gives the next free one.
  const amp = newAmphora(old.role, portOf(old));
  record.replacement = amp.id;
  await boot(amp);
  usedAddresses.delete(old.lb_network_ip);
  record.bootedAt = Date.now();
  // ListenersUpdate, AmphoraPostVIPPlug, AmphoraPostNetworkPlug, AmphoraUpdateVRRPInterface,
  // AmphoraVRRPUpdate, AmphoraVRRPStart, ListenersStart: the agent log's order in the article.
  await listenerUpdate(amp);
  await rest(amp, 'GET', `listeners/${lb.listener.id}`);
  await call(amp, 'PUT', `listeners/${lb.listener.id}/start`);
  await plugVip(amp);
  await call(amp, 'POST', 'plug/network', { mac_address: null, fixed_ips: [] });
  if (lb.topology === 'ACTIVE_STANDBY') await vrrpUp(amp, { preempt: cfg.preempt });
  await call(amp, 'PUT', `listeners/${lb.listener.id}/start`);
  return amp;
}

/** Today's flow (Rocky and later): a new VRRP port (the VIP its allowed pair), the replacement
 *  booted and plugged while the stale one still stands, then the old one deleted and every
 *  live amphora told the new listener and VRRP peers. */
async function buildFirst(old: AmphoraRow, record: FailoverRecord): Promise<AmphoraRow> {
  const held = new Set(db.amphorae.filter((a) => a.status !== 'DELETED').map((a) => a.vrrp_port_id));
  const port = cfg.vrrpPorts.find((p) => !held.has(p.id));
  if (!port) throw new Error(`no VRRP port left for a replacement: ${cfg.vrrpPorts.map((p) => p.address).join(', ')} are held`);
  const amp = newAmphora(old.role, port);
  record.replacement = amp.id;
  await boot(amp);
  record.bootedAt = Date.now();
  await plugVip(amp);
  await call(amp, 'POST', 'plug/network', { mac_address: null, fixed_ips: [] });
  await deleteAmphora(old, record);
  usedAddresses.delete(old.lb_network_ip);
  const survivors = live().filter((a) => a.id !== amp.id);
  for (const a of [amp, ...survivors]) {
    await listenerUpdate(a);
    await call(a, 'PUT', `listeners/${lb.listener.id}/${a === amp ? 'start' : 'reload'}`);
  }
  if (lb.topology === 'ACTIVE_STANDBY')
    for (const a of [amp, ...survivors]) await vrrpUp(a, { preempt: a === amp && cfg.preempt, action: a === amp ? 'start' : 'reload' });
  return amp;
}

async function failover(old: AmphoraRow, asked: boolean): Promise<void> {
  const record: FailoverRecord = { amphora: old.id, order: cfg.failoverOrder, staleAt: Date.now() };
  db.failovers.push(record);
  if (asked) log('INFO', 'octavia.api.v2.controllers.amphora', `Failing over amphora ${old.id} on request`);
  else log('WARNING', 'octavia.controller.healthmanager.health_manager', `Stale amphora's id is: ${old.id}`);
  setLb('PENDING_UPDATE');
  db.amphora_health[old.id].busy = true;
  save();
  const amp = await (cfg.failoverOrder === 'build-first' ? buildFirst : deleteFirst)(old, record);
  setStatus(amp, 'ALLOCATED');
  record.doneAt = Date.now();
  setLb('ACTIVE');
  log('INFO', 'octavia.controller.worker', `failover (${cfg.failoverOrder}) of amphora ${old.id} done: ${amp.id} on ${amp.lb_network_ip}`);
}

// --- the health manager -----------------------------------------------------------------------

const [bindHost, bindPort] = cfg.bind.split(':');
const udp = createSocket('udp4');
udp.on('message', (data) => {
  const decoded = decodeHeartbeat(data, cfg.heartbeatKey);
  if ('error' in decoded) {
    db.heartbeats.dropped++;
    db.heartbeats.lastDropReason = decoded.error;
    log('WARNING', 'octavia.amphorae.drivers.health.heartbeat_udp', `dropped a heartbeat: ${decoded.error}`);
    save();
    return;
  }
  const { msg } = decoded;
  const amp = db.amphorae.find((a) => a.id === msg.id);
  // A heartbeat from an amphora being deleted (or unknown) is not health.
  if (!amp || amp.status === 'DELETED' || amp.status === 'PENDING_DELETE') return;
  db.heartbeats.received++;
  // As Octavia's update_db: a serving amphora whose haproxy reports no listener is not healthy.
  const listeners = Object.keys(msg.listeners).length;
  if (amp.status === 'ALLOCATED' && listeners !== 1) {
    db.heartbeats.ignored = (db.heartbeats.ignored ?? 0) + 1;
    log('WARNING', 'octavia.controller.healthmanager.update_db', `Amphora ${amp.id} health message reports ${listeners} listeners when 1 expected`);
    save();
    return;
  }
  const members: Record<string, string> = {};
  for (const pool of Object.values(msg.pools)) Object.assign(members, pool.members);
  db.amphora_health[amp.id] = { last_update: Date.now(), busy: db.amphora_health[amp.id]?.busy ?? false, members };
  Object.assign(db.members, members);
  save();
});

let failing = false;
function checkHealth(): void {
  if (failing || db.loadbalancer.provisioning_status !== 'ACTIVE') return;
  const stale = db.amphorae.find((a) => {
    const h = db.amphora_health[a.id];
    return a.status === 'ALLOCATED' && h && !h.busy && Date.now() - h.last_update > cfg.heartbeatTimeoutMs;
  });
  if (stale) startFailover(stale);
}

/** One failover at a time, as one health manager thread does (and the API refuses another
 *  while the load balancer is PENDING_UPDATE). */
function startFailover(amp: AmphoraRow): void {
  failing = true;
  failover(amp, false)
    .catch((err: Error) => fail(`failover of ${amp.id} failed: ${err.message}`))
    .finally(() => (failing = false));
}

function fail(message: string): void {
  const last = db.failovers.at(-1);
  if (last && !last.doneAt) last.error = message;
  log('ERROR', 'octavia.controller.worker', message);
  db.loadbalancer.error = message;
  setLb('ERROR');
}

// --- Octavia's API: the amphora table, and an operator's failover ------------------------------

/** Each serving amphora replaced in turn, the one not holding the VIP first (its agent answers
 *  interface/<VIP> only where the VIP is): a rolling upgrade disturbs the clients once. */
async function failoverLoadBalancer(): Promise<void> {
  const serving = db.amphorae.filter((a) => a.status === 'ALLOCATED');
  const holds = await Promise.all(
    serving.map((a) =>
      rest(a, 'GET', `interface/${cfg.vip.address}`, undefined, 2000).then(
        (r) => r.status === 200,
        () => false,
      ),
    ),
  );
  const order = [...serving.filter((_, i) => !holds[i]), ...serving.filter((_, i) => holds[i])];
  log('INFO', 'octavia.controller.worker', `failing over loadbalancer ${lb.id}: amphorae ${order.map((a) => a.id).join(', ')}, in this order`);
  for (const amp of order) await failover(amp, true);
}

/** GET /v2/octavia/amphorae: the amphora table (the article's `select * from amphora`);
 *  PUT /v2/octavia/loadbalancers/<id>/failover: replace its amphorae now, one at a time. */
function api(req: IncomingMessage, res: ServerResponse): void {
  const answer = (status: number, body: object) => {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    res.end(text);
    log('INFO', 'octavia.api', `${req.method} ${req.url} ${status}`);
  };
  const url = (req.url ?? '').split('?')[0];
  if (req.method === 'GET' && url === '/v2/octavia/amphorae') return answer(200, { amphorae: db.amphorae });
  if (req.method !== 'PUT' || url !== `/v2/octavia/loadbalancers/${lb.id}/failover`) return answer(404, { faultstring: 'not found' });
  if (failing || db.loadbalancer.provisioning_status !== 'ACTIVE')
    return answer(409, { faultstring: `load balancer ${lb.id} is immutable (${db.loadbalancer.provisioning_status})` });
  failing = true;
  failoverLoadBalancer()
    .catch((err: Error) => fail(`failover of loadbalancer ${lb.id} failed: ${err.message}`))
    .finally(() => (failing = false));
  answer(202, {});
}
const [apiHost, apiPort] = cfg.api.split(':');
const apiServer = createServer(api);
await new Promise<void>((resolve) => apiServer.listen(Number(apiPort), apiHost, resolve));

udp.bind(Number(bindPort), bindHost, () => {
  if (values.pidfile) writeFileSync(values.pidfile, `${process.pid}\n`);
  save();
  log('INFO', 'octavia.cmd.health_manager', `health manager listening on ${cfg.bind}, heartbeat_timeout ${cfg.heartbeatTimeoutMs} ms`);
  setInterval(checkHealth, cfg.healthCheckIntervalMs);
  createLoadBalancer().catch((err: Error) => fail(`creating loadbalancer ${lb.id} failed: ${err.message}`));
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
