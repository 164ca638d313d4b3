// The metadata proxy: its block, its agent answering for real on the loopback (an instance is
// known by its source address), and its observer telling each request and drawing its row.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fakeHost } from '../../../test/fake-host.js';
import { labFromText, ROOT } from '../../../test/helpers.js';
import type { LabEvent } from '../../kinds/events.js';
import { emptyFacts } from '../../kinds/facts.js';
import type { LabService } from '../../model.js';
import { netns } from '../../runtime/netns/netns.js';
import { metadataProxy, metadataRequests, type MetadataProxySpec } from './metadata-proxy.js';

/** A router running the proxy (with `more` fields), and other services after it. */
const scenario = (instances: string, more = '', others = '') => `name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.0.0.0/24 }]
nodes:
  - name: r
    role: router
    ports: [{ name: qr, network: n, address: 10.0.0.1, bridge_port: tapr }]
    services:
      - { name: metadata, kind: metadata-proxy, ${more}instances: [${instances}] }
${others}`;

/** The agent's script and arguments for vm1 at 10.0.0.81. */
const agentArgs = (s: LabService) => [
  /services\/metadata-proxy\/agent\.js$/,
  '--listen',
  '0.0.0.0:9697',
  '--instance',
  '10.0.0.81=vm1',
  '--pidfile',
  s.pidfile,
];

const proxyOf = (text: string) => labFromText(text).nodes[0].services[0] as LabService<MetadataProxySpec>;

t.test("its block: Neutron's port by default, each instance once", async (t) => {
  const s = proxyOf(scenario('{ hostname: vm1, address: 10.0.0.81 }'));
  t.same(s.spec, { port: 9697, onlyOnMaster: false, instances: [{ hostname: 'vm1', address: '10.0.0.81' }] });
  t.match(metadataProxy.start(s, { vrrpHooks: { master: [], backup: [] } })[0], {
    kind: 'daemon',
    argv: [...netns.exec('r', []), process.execPath, ...agentArgs(s)],
  });
  t.throws(
    () => labFromText(scenario('{ hostname: vm1, address: 10.0.0.81 }, { hostname: vm2, address: 10.0.0.81 }')),
    /instances\[1\]\.address: 10\.0\.0\.81 is listed twice/,
  );
});

/** GET a path from the agent, from a given local source address. */
function get(port: number, path: string, localAddress: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, localAddress }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('its agent answers an instance by its source address, and 404 to anyone else', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-metadata-'));
  const pidfile = join(dir, 'pid');
  const port = 20000 + Math.floor(Math.random() * 20000);
  const agent = join(ROOT, 'dist', 'src', 'services', 'metadata-proxy', 'agent.js');
  const child = spawn(process.execPath, [agent, '--listen', `127.0.0.1:${port}`, '--instance', '127.0.0.1=vm1', '--pidfile', pidfile], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let log = '';
  child.stdout.on('data', (c) => (log += c));
  t.teardown(() => void child.kill());
  for (let i = 0; i < 100 && !readable(pidfile); i++) await new Promise((r) => setTimeout(r, 50));
  t.same(await get(port, '/latest/meta-data/hostname', '127.0.0.1'), { status: 200, body: 'vm1' });
  t.same(await get(port, '/latest/meta-data/', '127.0.0.1'), { status: 200, body: 'hostname\nlocal-hostname\ninstance-id\nlocal-ipv4' });
  t.same(await get(port, '/latest/meta-data/local-ipv4', '127.0.0.1'), { status: 200, body: '127.0.0.1' });
  t.same(await get(port, '/latest/meta-data/nothing', '127.0.0.1'), { status: 404, body: 'not found' });
  t.same(await get(port, '/latest/meta-data/hostname', '127.0.0.2'), { status: 404, body: 'instance not found' });
  await new Promise((r) => setTimeout(r, 50));
  t.same(
    metadataRequests(log).map((r) => `${r.from} ${r.hostname} ${r.path} ${r.status}`),
    [
      '127.0.0.1 vm1 /latest/meta-data/hostname 200',
      '127.0.0.1 vm1 /latest/meta-data/ 200',
      '127.0.0.1 vm1 /latest/meta-data/local-ipv4 200',
      '127.0.0.1 vm1 /latest/meta-data/nothing 404',
      '127.0.0.2 null /latest/meta-data/hostname 404',
    ],
    'every request logged',
  );
});

function readable(path: string): boolean {
  try {
    return readFileSync(path, 'utf8').trim() !== '';
  } catch {
    return false;
  }
}

t.test('its observer tells each request and draws the count and the last', async (t) => {
  const s = proxyOf(scenario('{ hostname: vm3, address: 10.0.0.83 }'));
  const host = fakeHost();
  const facts = emptyFacts();
  const events: LabEvent[] = [];
  const lab = labFromText(scenario('{ hostname: vm3, address: 10.0.0.83 }'));
  const observer = metadataProxy.observer!([s], { lab, host, facts, emit: (e) => events.push(e), since: () => 3 });
  const row = () =>
    metadataProxy.rows!(s, facts)[0]
      .map((c) => c.text)
      .join('');
  t.equal(row(), 'r/metadata metadata :9697 0 requests');
  host.files.set(s.logfile, 'request {"from":"10.0.0.83","hostname":"vm3","method":"GET","path":"/latest/meta-data/hostname","status":200}\nnoise\n');
  await observer.poll();
  await observer.poll();
  t.same(
    events.map((e) => e.type === 'service' && `${e.tone} ${e.text}`),
    ['info r/metadata: vm3 (10.0.0.83) GET /latest/meta-data/hostname 200'],
    'each request told once',
  );
  t.equal(row(), 'r/metadata metadata :9697 1 request last vm3 /latest/meta-data/hostname 200');
  host.files.set(s.logfile, `${host.files.get(s.logfile)}request {"from":"10.0.0.9","hostname":null,"method":"GET","path":"/","status":404}\n`);
  await observer.poll();
  t.match(events.at(-1), { tone: 'bad', text: 'r/metadata: unknown 10.0.0.9 GET / 404' });
  t.same(metadataRequests('request {not json}\n'), [], 'a broken line is skipped');
});

t.test("in an HA router: started by the MASTER's notify, stopped on BACKUP or FAULT, refused without keepalived", async (t) => {
  const ha = (others: string) => scenario('{ hostname: vm1, address: 10.0.0.81 }', 'only_on_master: true, ', others);
  const lab = labFromText(
    ha(
      '      - { name: vrrp, kind: keepalived, instances: [{ name: VR_1, interface: qr, virtual_router_id: 1, priority: 50, virtual_ipaddress: [10.0.0.100/24] }] }',
    ),
  );
  const s = lab.nodes[0].services[0] as LabService<MetadataProxySpec>;
  t.same(metadataProxy.start(s, { vrrpHooks: { master: [], backup: [] } }), [], 'nothing starts with the lab');
  const hooks = metadataProxy.vrrpHooks!(s);
  t.match(hooks.master, [
    [
      'env',
      `LABLB_TOKEN=${s.token}`,
      'start-stop-daemon',
      '--start',
      '--background',
      '--output',
      s.logfile,
      '--quiet',
      '--oknodo',
      '--pidfile',
      s.pidfile,
      '--exec',
      process.execPath,
      '--',
      ...agentArgs(s),
    ],
  ]);
  t.same(hooks.backup, [['start-stop-daemon', '--stop', '--remove-pidfile', '--quiet', '--oknodo', '--pidfile', s.pidfile, '--exec', process.execPath]]);
  t.same(metadataProxy.vrrpHooks!(proxyOf(scenario(''))), { master: [], backup: [] }, 'a proxy for every node has no hooks');
  t.throws(() => labFromText(ha('')), /services\[0\]\.only_on_master: r runs no keepalived whose transitions could start it/);

  const host = fakeHost();
  const facts = emptyFacts();
  const observer = metadataProxy.observer!([s], { lab, host, facts, emit: () => {}, since: () => 0 });
  const row = () =>
    metadataProxy.rows!(s, facts)[0]
      .map((c) => c.text)
      .join('');
  await observer.poll();
  t.equal(row(), 'r/metadata metadata :9697 not running (starts on MASTER) 0 requests');
  host.files.set(s.pidfile, '42');
  await observer.poll();
  t.equal(row(), 'r/metadata metadata :9697 0 requests');
});
