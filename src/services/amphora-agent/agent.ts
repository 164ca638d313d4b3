// The amphora agent (octavia/amphorae/backends/agent/api_server), as seed 004 shows it: an
// HTTP server on the amphora's management address, port 9876, prefix /0.5, called only by
// the controller. It moves the VRRP port into the amphora-haproxy namespace and addresses it
// (plug vip), takes haproxy's and keepalived's configs and starts them there, and logs every
// request as werkzeug does. Every heartbeat interval it sends the health manager its
// listeners' and members' state, signed with the heartbeat key. Plain HTTP, no TLS: Mitaka's
// agent already used TLS; the lab leaves it out (the README says so).
// With --check SOCKET it is the VRRP check script instead: exit 0 if haproxy answers.
import { timingSafeEqual } from 'node:crypto';
import { execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { chmodSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect as connectUnix } from 'node:net';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeHeartbeat, type Heartbeat } from '../../agents/heartbeat.js';
import { AMP_DIR, peerName } from '../../agents/octavia-templates.js';

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    prefix: { type: 'string', default: '/0.5' },
    id: { type: 'string' },
    namespace: { type: 'string' },
    enter: { type: 'string', multiple: true, default: [] },
    dir: { type: 'string' },
    controller: { type: 'string' },
    key: { type: 'string' },
    'interval-ms': { type: 'string', default: '1000' },
    'lab-key-file': { type: 'string' },
    pidfile: { type: 'string' },
    check: { type: 'string' },
  },
});

/** "show stat" on haproxy's stats socket, the whole answer, or undefined. */
function showStat(socket: string, timeoutMs = 2000): Promise<string | undefined> {
  return new Promise((resolve) => {
    let out = '';
    const sock = connectUnix(socket);
    sock.setTimeout(timeoutMs, () => {
      sock.destroy();
      resolve(undefined);
    });
    sock.on('connect', () => sock.write('show stat\n'));
    sock.on('data', (d) => (out += d.toString()));
    sock.on('error', () => resolve(undefined));
    sock.on('close', () => resolve(out || undefined));
  });
}

if (values.check) {
  // Octavia's haproxy-vrrp-check: no answer from haproxy means this amphora must not hold the VIP.
  const answer = await showStat(values.check);
  process.exit(answer ? 0 : 1);
}

const [host, port] = (values.listen ?? '').split(':');
const { id, namespace, dir, controller, key } = values;
if (!host || !port || !id || !namespace || !dir || !controller || !key || values.enter.length === 0) {
  process.stderr.write(
    'usage: amphora-agent --listen ADDR:PORT --id AMPHORA --namespace NS --enter ARG... --dir DIR --controller ADDR:PORT --key KEY [--prefix /0.5] [--interval-ms N] [--pidfile F]\n',
  );
  process.exit(2);
}
const prefix = values.prefix;
const enter = values.enter;
const vrrpDir = join(dir, 'vrrp');
mkdirSync(vrrpDir, { recursive: true });

// --- logging, in the shapes the article shows -----------------------------------------------

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function oslo(level: string, logger: string, message: string): void {
  const d = new Date();
  const stamp = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  process.stdout.write(`${stamp} ${process.pid} ${level} ${logger} [-] ${message}\n`);
}
/** `192.168.0.3 - - [13/Apr/2016 23:36:35] "PUT /0.5/... HTTP/1.1" 202 -` */
function werkzeug(req: IncomingMessage, status: number): void {
  const d = new Date();
  const when = `${pad(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  const from = (req.socket.remoteAddress ?? '-').replace(/^::ffff:/, '');
  oslo('INFO', 'werkzeug', `${from} - - [${when}] "${req.method} ${req.url} HTTP/${req.httpVersion}" ${status} -`);
}

// --- commands, in this namespace or in amphora-haproxy ----------------------------------------

function run(argv: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(argv[0], argv.slice(1), { timeout: 10_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}
const inNs = (argv: string[]) => run([...enter, ...argv]);

async function must(argv: string[], inside = true): Promise<string> {
  const r = inside ? await inNs(argv) : await run(argv);
  if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.out.trim()}`);
  return r.out;
}

/** The interface with this MAC, here or already in the namespace. */
async function interfaceByMac(mac: string): Promise<{ name: string; inside: boolean } | undefined> {
  for (const inside of [true, false]) {
    const out = (inside ? await inNs(['ip', '-o', 'link']) : await run(['ip', '-o', 'link'])).out;
    for (const line of out.split('\n')) {
      const m = /^\d+:\s+([^:@]+)[:@].*link\/ether\s+([0-9a-f:]{17})/.exec(line);
      if (m && m[2] === mac.toLowerCase()) return { name: m[1], inside };
    }
  }
  return undefined;
}

/** Starts a daemon in amphora-haproxy; it inherits this agent's LABLB_TOKEN, so lablb stops it
 *  with the amphora. */
function daemon(argv: string[], log: string): void {
  const fd = openSync(log, 'a');
  spawn(enter[0], [...enter.slice(1), ...argv], { detached: true, stdio: ['ignore', fd, fd] }).unref();
}

const pidOf = (file: string): number | undefined => {
  const pid = Number(readFileSync(file, 'utf8').trim().split(/\s+/)[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
};
function alive(file: string): number | undefined {
  try {
    const pid = pidOf(file);
    if (pid) process.kill(pid, 0);
    return pid;
  } catch {
    return undefined;
  }
}

/** Until the process of a pid file runs, bounded. */
async function running(file: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!alive(file)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 10));
  }
  return true;
}

// --- the API ----------------------------------------------------------------------------------

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
const listeners = new Set<string>();

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.on('data', (d) => {
      text += d.toString();
      if (text.length > 1_000_000) reject(new HttpError(413, 'too large'));
    });
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });
}
const json = (text: string): Record<string, unknown> => {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new HttpError(400, 'not JSON');
  }
};
const field = (o: Record<string, unknown>, name: string, re: RegExp): string => {
  const v = o[name];
  if (typeof v !== 'string' || !re.test(v)) throw new HttpError(400, `${name}: invalid`);
  return v;
};

/** The VIP as plug/vip left it: SINGLE holds it on an interface, keepalived holds it otherwise. */
let plugged: { vip: string; ifname: string; single: boolean } | undefined;

/** A gratuitous ARP for the VIP from a STANDALONE amphora whose haproxy just started, as
 *  Octavia's agent has done since Victoria (ip_advertisement): a replacement on a new VRRP port
 *  (build-first) has a new MAC that the router must learn. Not waited for (arping takes 1 s). */
function announceVip(): void {
  if (plugged?.single) void inNs(['arping', '-U', '-c', '1', '-I', plugged.ifname, plugged.vip]);
}

/** POST plug/vip/<vip>: the VRRP port (found by MAC) into amphora-haproxy, addressed, up. */
async function plugVip(vip: string, b: Record<string, unknown>): Promise<[number, object]> {
  const mac = field(b, 'mac_address', /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i);
  const cidr = field(b, 'subnet_cidr', /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/);
  const vrrpIp = field(b, 'vrrp_ip', IPV4);
  const gateway = field(b, 'gateway', IPV4);
  const prefix = cidr.split('/')[1];
  const found = await interfaceByMac(mac);
  if (!found) throw new HttpError(404, `no interface with MAC ${mac}`);
  plugged = { vip, ifname: found.name, single: b.topology !== 'ACTIVE_STANDBY' };
  if (found.inside) return [202, { message: 'OK', details: `VIP ${vip} already plugged on ${found.name}` }];
  await must(['ip', 'link', 'set', found.name, 'netns', namespace!], false);
  await must(['sysctl', '-q', '-w', 'net.ipv4.ip_nonlocal_bind=1']);
  await must(['ip', 'link', 'set', 'lo', 'up']);
  await must(['ip', 'addr', 'add', `${vrrpIp}/${prefix}`, 'dev', found.name]);
  // SINGLE: the VIP is the interface's alias (eth1:0); ACTIVE_STANDBY: keepalived adds it.
  if (b.topology !== 'ACTIVE_STANDBY') await must(['ip', 'addr', 'add', `${vip}/${prefix}`, 'dev', found.name, 'label', `${found.name}:0`]);
  await must(['ip', 'link', 'set', found.name, 'up']);
  await must(['ip', 'route', 'replace', 'default', 'via', gateway, 'dev', found.name]);
  oslo('INFO', 'octavia.amphorae.backends.agent.api_server.plug', `Plugged VIP ${vip} on ${found.name} (${vrrpIp}/${prefix}) in namespace ${namespace}`);
  return [202, { message: 'OK', details: `VIP ${vip} plugged on interface ${found.name}` }];
}

async function interfaceOf(ip: string): Promise<[number, object]> {
  const out = (await inNs(['ip', '-o', '-4', 'addr'])).out;
  const m = out.split('\n').find((l) => l.includes(` ${ip}/`));
  if (!m) throw new HttpError(404, `no interface with ${ip}`);
  return [200, { interface: m.split(/\s+/)[1] }];
}

const keepalivedConf = join(vrrpDir, 'octavia-keepalived.conf');
const keepalivedPid = join(vrrpDir, 'keepalived.pid');
const vrrpPid = join(vrrpDir, 'vrrp.pid');

async function vrrp(action: string): Promise<[number, object]> {
  if (action === 'start') {
    if (!existsSync(keepalivedConf)) throw new HttpError(400, 'no keepalived config uploaded');
    if (!alive(keepalivedPid)) {
      daemon(
        ['keepalived', '--dont-fork', '--log-console', '--vrrp', '--use-file', keepalivedConf, '--pid', keepalivedPid, '--vrrp_pid', vrrpPid],
        join(vrrpDir, 'keepalived.log'),
      );
      // The real agent's `systemctl start` returns once keepalived runs. The controller starts
      // the MASTER's first, and its master-down interval is only 40 ms shorter than the
      // BACKUP's: a reply before the daemon runs let a loaded machine start the BACKUP's first.
      if (!(await running(vrrpPid, 5000))) throw new HttpError(500, 'keepalived did not start (see vrrp/keepalived.log)');
    }
    return [202, { message: 'OK', details: 'keepalived started' }];
  }
  const pid = alive(keepalivedPid);
  if (pid) process.kill(pid, action === 'reload' ? 'SIGHUP' : 'SIGTERM');
  return [202, { message: 'OK', details: `keepalived ${action}` }];
}

const listenerDir = (l: string) => join(dir!, l);
const haproxyCfg = (l: string) => join(listenerDir(l), 'haproxy.cfg');
const haproxyPid = (l: string) => join(listenerDir(l), 'haproxy.pid');

async function uploadHaproxy(listener: string, text: string): Promise<[number, object]> {
  mkdirSync(listenerDir(listener), { recursive: true });
  const staged = `${haproxyCfg(listener)}.new`;
  writeFileSync(staged, text.replaceAll(AMP_DIR, dir!));
  // As the agent does: haproxy -c -L <peer> -f <file> before taking it.
  const r = await run(['haproxy', '-c', '-L', peerName(id!), '-f', staged]);
  if (r.code !== 0) throw new HttpError(400, `invalid haproxy config: ${r.out.trim().split('\n').slice(-3).join(' ')}`);
  renameSync(staged, haproxyCfg(listener));
  listeners.add(listener);
  return [202, { message: 'OK' }];
}

async function listenerAction(listener: string, action: string): Promise<[number, object]> {
  if (!existsSync(haproxyCfg(listener))) throw new HttpError(404, `listener ${listener} has no config`);
  // keepalived's check script asks this listener's haproxy (check_script.sh runs this agent).
  const check = join(vrrpDir, 'check_script.sh');
  writeFileSync(
    check,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(process.argv[1])} --check ${JSON.stringify(join(dir!, `${listener}.sock`))}\n`,
  );
  chmodSync(check, 0o700);
  const pid = alive(haproxyPid(listener));
  if (action === 'stop') {
    if (pid) process.kill(pid, 'SIGUSR1');
    return [202, { message: 'OK', details: `listener ${listener} stopped` }];
  }
  if (action === 'start' && pid) return [202, { message: 'OK', details: `listener ${listener} already running` }];
  const argv = ['haproxy', '-f', haproxyCfg(listener), '-p', haproxyPid(listener), '-L', peerName(id!), ...(pid ? ['-sf', String(pid)] : [])];
  const r = await inNs(argv);
  if (r.code !== 0) throw new HttpError(500, `haproxy did not start: ${r.out.trim().split('\n').slice(-3).join(' ')}`);
  oslo('INFO', 'octavia.amphorae.backends.agent.api_server.listener', `haproxy for listener ${listener} ${pid ? 'reloaded' : 'started'}`);
  announceVip();
  return [202, { message: 'OK', details: `listener ${listener} ${action}ed` }];
}

async function route(req: IncomingMessage): Promise<[number, object]> {
  const url = (req.url ?? '').split('?')[0];
  if (!url.startsWith(`${prefix}/`)) throw new HttpError(404, 'not found');
  const parts = url.slice(prefix.length + 1).split('/');
  const m = req.method;
  if (m === 'GET' && parts[0] === 'info') return [200, { hostname: `amphora-${id}`, api_version: prefix.slice(1), haproxy_version: 'lab' }];
  if (m === 'POST' && parts[0] === 'plug' && parts[1] === 'vip' && IPV4.test(parts[2] ?? '')) return plugVip(parts[2], json(await body(req)));
  if (m === 'POST' && parts[0] === 'plug' && parts[1] === 'network') {
    // Members on another subnet would get a port here; the lab's members share the VIP's subnet.
    await body(req);
    return [202, { message: 'OK', details: 'no network to plug' }];
  }
  if (m === 'GET' && parts[0] === 'interface' && IPV4.test(parts[1] ?? '')) return interfaceOf(parts[1]);
  if (m === 'PUT' && parts[0] === 'vrrp' && parts[1] === 'upload') {
    writeFileSync(keepalivedConf, (await body(req)).replaceAll(AMP_DIR, dir!));
    return [200, { message: 'OK' }];
  }
  if (m === 'PUT' && parts[0] === 'vrrp' && ['start', 'stop', 'reload'].includes(parts[1])) return vrrp(parts[1]);
  // PUT listeners/<amphora>/<listener>/haproxy: the article's Mitaka path.
  if (m === 'PUT' && parts[0] === 'listeners' && parts[3] === 'haproxy' && UUID.test(parts[2] ?? '')) return uploadHaproxy(parts[2], await body(req));
  if (m === 'GET' && parts[0] === 'listeners' && UUID.test(parts[1] ?? '') && parts.length === 2)
    return [200, { status: alive(haproxyPid(parts[1])) ? 'ACTIVE' : 'STOPPED', type: 'HTTP', uuid: parts[1] }];
  if (m === 'PUT' && parts[0] === 'listeners' && UUID.test(parts[1] ?? '') && ['start', 'stop', 'reload'].includes(parts[2]))
    return listenerAction(parts[1], parts[2]);
  throw new HttpError(404, 'not found');
}

/** Only the lab's controller may configure this amphora: its configs can start programs as root
 *  (a keepalived notify script), and a container member on lb-mgmt-net could send one. */
const labKey = Buffer.from(values['lab-key-file'] ? readFileSync(values['lab-key-file'], 'utf8').trim() : '');
function fromTheLab(req: IncomingMessage): boolean {
  const given = Buffer.from(String(req.headers['x-lablb-key'] ?? ''));
  return labKey.length > 0 && given.length === labKey.length && timingSafeEqual(given, labKey);
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  if (!fromTheLab(req)) {
    reply(req, res, 401, { message: 'not the lab controller' });
    return;
  }
  route(req).then(
    ([status, answer]) => reply(req, res, status, answer),
    (err: Error) => reply(req, res, err instanceof HttpError ? err.status : 500, { message: err.message }),
  );
});
function reply(req: IncomingMessage, res: ServerResponse, status: number, answer: object): void {
  const text = `${JSON.stringify(answer)}\n`;
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), Connection: 'close' });
  res.end(text);
  werkzeug(req, status);
  if (status >= 400) oslo('ERROR', 'octavia.amphorae.backends.agent.api_server', `${req.method} ${req.url}: ${(answer as { message?: string }).message}`);
}
server.on('error', (err) => {
  process.stderr.write(`amphora-agent: ${err.message}\n`);
  process.exit(1);
});

// --- heartbeats -------------------------------------------------------------------------------

/** haproxy's `show stat` CSV as the heartbeat's listeners and pools. */
function statsOf(csv: string, listener: string): Pick<Heartbeat, 'listeners' | 'pools'> {
  const lines = csv.split('\n').filter((l) => l && !l.startsWith('#'));
  const header = (csv.split('\n').find((l) => l.startsWith('# ')) ?? '').slice(2).split(',');
  const col = (row: string[], name: string) => row[header.indexOf(name)] ?? '';
  const out: Pick<Heartbeat, 'listeners' | 'pools'> = { listeners: {}, pools: {} };
  for (const row of lines.map((l) => l.split(','))) {
    const [px, sv] = row;
    if (sv === 'FRONTEND' && px === listener) {
      out.listeners[listener] = {
        status: col(row, 'status') === 'OPEN' ? 'OPEN' : 'FULL',
        stats: {
          conns: Number(col(row, 'scur')) || 0,
          totconns: Number(col(row, 'stot')) || 0,
          rx: Number(col(row, 'bin')) || 0,
          tx: Number(col(row, 'bout')) || 0,
          ereq: Number(col(row, 'ereq')) || 0,
        },
      };
    } else if (sv === 'BACKEND') {
      (out.pools[px] ??= { status: col(row, 'status'), members: {} }).status = col(row, 'status');
    } else if (sv && sv !== 'FRONTEND') {
      const status = col(row, 'status');
      (out.pools[px] ??= { status: 'UP', members: {} }).members[sv] = status.startsWith('UP') ? 'UP' : status.startsWith('DOWN') ? 'DOWN' : 'no check';
    }
  }
  return out;
}

const [hmHost, hmPort] = controller.split(':');
const udp = createSocket('udp4');
udp.on('error', () => undefined);
let seq = 0;
async function beat(): Promise<void> {
  const msg: Heartbeat = { id: id!, seq: seq++, ver: 3, listeners: {}, pools: {} };
  for (const l of listeners) {
    const csv = await showStat(join(dir!, `${l}.sock`), 500);
    if (!csv) continue;
    const s = statsOf(csv, l);
    Object.assign(msg.listeners, s.listeners);
    Object.assign(msg.pools, s.pools);
  }
  udp.send(encodeHeartbeat(msg, key!), Number(hmPort), hmHost);
}

server.listen(Number(port), host, () => {
  if (values.pidfile) writeFileSync(values.pidfile, `${process.pid}\n`);
  oslo('INFO', 'octavia.amphorae.backends.agent', `amphora-agent for amphora ${id} on ${host}:${port}${prefix}`);
  const interval = Math.max(100, Number(values['interval-ms']) || 1000);
  setInterval(() => void beat(), interval);
  void beat();
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
