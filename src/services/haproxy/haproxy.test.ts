// The haproxy kind: its config, its stats, its screen rows and what it declares to the rest.
import { join } from 'node:path';
import t from 'tap';
import { loadFixtureLab, ROOT } from '../../../test/helpers.js';
import type { Lab, LabService } from '../../model.js';
import { emptyFacts } from '../../kinds/facts.js';
import { eventText, type LabEvent } from '../../kinds/events.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';
import type { HaproxySpec } from './haproxy.js';
import { haproxy } from './haproxy.js';
import { haproxyFacts, haproxyLogMessage } from './observe.js';
import { LOG_RING, renderHaproxyConf } from './render.js';
import { parseShowStat } from './stats.js';

const lab = loadFixtureLab();
const haproxyOf = (l: Lab) => l.nodes.find((n) => n.name === 'qlbaas-01')!.services[0] as LabService<HaproxySpec>;

t.test('haproxy.conf has the shape of seed 001 and Neutron LBaaS v2', async (t) => {
  const lb = haproxyOf(lab);
  t.equal(
    renderHaproxyConf(lb),
    `# LBaaS v2 (haproxy namespace driver): one load balancer, 1 listener on its VIP
global
    daemon
    user haproxy
    group haproxy
    maxconn 100
    pidfile /run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.pid
    log ring@lablog local0
    stats socket /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_stats.sock mode 0600 level user
    stats socket /run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_events.sock mode 0600 level operator

ring lablog
    format rfc3164
    maxlen 1024
    size 65536

defaults
    log global
    retries 3
    option redispatch
    timeout connect 5000
    timeout client 50000
    timeout server 50000

frontend 0c32d37d-f84a-4309-9e01-72d9f0bac69e
    option tcplog
    bind 10.0.0.100:80
    mode http
    default_backend 3b9d8ebd-9eea-4925-b14e-593a6111ff33
    maxconn 100
    option forwardfor

backend 3b9d8ebd-9eea-4925-b14e-593a6111ff33
    mode http
    balance roundrobin
    option forwardfor
    timeout check 5s
    server 1f74a288-937d-4804-9ded-472a5d1110dc 10.0.0.81:80 weight 1 check inter 1s fall 3 rise 2
    server 944ff4a0-4070-40e4-8189-20f385755113 10.0.0.82:80 weight 1 check inter 1s fall 3 rise 2
`,
  );
});

t.test('an HTTP health monitor adds httpchk; TCP listeners use tcp mode', async (t) => {
  const lb = haproxyOf(lab);
  const [f] = lb.spec.frontends;
  const http = renderHaproxyConf({
    ...lb,
    spec: { ...lb.spec, frontends: [{ ...f, pool: { ...f.pool, lbMethod: 'SOURCE_IP', monitor: { ...f.pool.monitor, type: 'HTTP', urlPath: '/health' } } }] },
  });
  t.match(http, /option httpchk GET \/health\n    http-check expect rstatus 200/);
  t.match(http, /balance source/);
  const tcp = renderHaproxyConf({ ...lb, spec: { ...lb.spec, frontends: [{ ...f, listener: { ...f.listener, protocol: 'TCP' } }] } });
  t.match(tcp, /option tcplog/, 'tcplog for both, as both LBaaS generations write it');
  t.match(tcp, /mode tcp/);
  t.notMatch(tcp, /forwardfor/);
});

t.test('haproxy show stat CSV', async (t) => {
  const csv = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status',
    'fe,FRONTEND,,,1,2,100,40,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,5,',
    'pool,m1,0,0,0,1,,20,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,12,0,,1,3,1,,20,,2,0,,3,L4OK',
    'pool,m2,0,0,0,1,,20,0,0,,0,,0,0,0,0,DOWN 1/2,1,1,0,3,1,2,5,,1,3,2,,20,,2,0,,3,L4CON',
    '',
  ].join('\n');
  const rows = parseShowStat(csv);
  t.equal(rows.length, 3);
  t.same(rows[2], { pxname: 'pool', svname: 'm2', status: 'DOWN 1/2', scur: 0, stot: 20, checkStatus: 'L4CON', lastchg: 2 });
});

t.test('what it declares: the VIP it binds and labels, members it starts after, when it is settled', async (t) => {
  const lb = haproxyOf(lab);
  t.same(haproxy.binds!(lb.spec), [{ address: '10.0.0.100', path: ['listener', 'address'] }]);
  t.same(haproxy.labels!(lb), [{ address: '10.0.0.100', label: 'VIP lb' }]);
  t.same(haproxy.startsAfterNodes!(lb.spec), ['vm1', 'vm2']);
  const facts = emptyFacts();
  t.match(haproxy.unsettled!(lb, facts), /members not UP: vm1 no stats, vm2 no stats/);
  for (const m of lb.spec.frontends[0].pool.members) haproxyFacts(facts, lb)[m.id] = { node: m.node, status: 'UP', sessions: 0, checkStatus: 'L4OK' };
  t.equal(haproxy.unsettled!(lb, facts), undefined);
  t.equal(haproxy.memberStatus!({ node: 'qlbaas-01', name: 'lb' }, facts, lb.spec.frontends[0].pool.members[1].id), 'UP');
  t.equal(haproxy.memberStatus!({ node: 'qlbaas-01', name: 'lb' }, facts, 'no-such-member'), undefined);
  const rows = haproxy.rows!(lb, facts).map((r) => r.map((c) => (c.width ? c.text.padEnd(c.width) : c.text)).join(''));
  t.same(rows, [
    'qlbaas-01/lb haproxy 10.0.0.100:80 HTTP ROUND_ROBIN',
    ' vm1    10.0.0.81:80   UP       sess 0   L4OK',
    ' vm2    10.0.0.82:80   UP       sess 0   L4OK',
  ]);
});

t.test('its observer reads the stats socket and tells each member change as a typed event', async (t) => {
  const { fakeHost } = await import('../../../test/fake-host.js');
  const lb = haproxyOf(lab);
  let status = 'UP';
  const csv = () =>
    [
      '# pxname,svname,scur,status,check_status',
      ...lb.spec.frontends[0].pool.members.map((m, i) => `${lb.spec.frontends[0].pool.id},${m.id},0,${i === 1 ? status : 'UP'},L4OK`),
    ].join('\n');
  const host = fakeHost({ sockets: { [lb.spec.statsSocket]: csv } });
  const facts = emptyFacts();
  const events: unknown[] = [];
  const observer = haproxy.observer!([lb], { lab, host, facts, emit: (e) => events.push(e), since: () => 42 });
  await observer.poll();
  t.same(
    Object.values(haproxyFacts(facts, lb)).map((m) => `${m.node} ${m.status}`),
    ['vm1 UP', 'vm2 UP'],
  );
  t.same(events, [], 'the first reading is no change');
  status = 'DOWN';
  await observer.poll();
  t.same(events, [
    {
      type: 'service',
      kind: 'haproxy',
      event: 'member',
      source: 'qlbaas-01/lb',
      member: 'vm2',
      pool: undefined,
      status: 'DOWN',
      text: 'qlbaas-01/lb: member vm2 is DOWN',
      tone: 'bad',
      at_ms: 42,
    },
  ]);
  status = 'UP 1/3';
  await observer.poll();
  t.match(events.at(-1), { text: 'qlbaas-01/lb: member vm2 is UP 1/3', tone: 'info' }, 'going up is neither good nor bad news yet');
  status = 'UP';
  await observer.poll();
  t.match(events.at(-1), { status: 'UP', tone: 'good' });
});

t.test("haproxy's own log: server state changes are told, per-request lines are not", async (t) => {
  t.equal(
    haproxyLogMessage('<129>Nov 23 21:11:51 localhost haproxy[20318]: Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused"'),
    'Server be/s1 is DOWN, reason: Layer4 connection problem, info: "Connection refused"',
  );
  t.equal(haproxyLogMessage('<128>Nov  3 01:02:03 localhost haproxy[7]: backend be has no server available!'), 'backend be has no server available!');
  t.equal(
    haproxyLogMessage('<134>Nov 23 21:11:52 localhost haproxy[20318]: 10.255.253.1:40000 [23/Nov/2026:21:11:52.100] fe be/s1 1/0/2 120 -- 1/1/0/0/0 0/0'),
    undefined,
  );
});

t.test("the observer follows haproxy's log ring and emits its lines as typed events", async (t) => {
  const { fakeHost } = await import('../../../test/fake-host.js');
  const lb = haproxyOf(lab);
  const host = fakeHost({
    sockets: { [lb.spec.statsSocket]: '' },
    streams: { [lb.spec.eventsSocket]: ['<129>Nov 23 21:11:51 localhost haproxy[1]: Server p/m2 is DOWN, reason: Layer4 timeout'] },
  });
  host.files.set(lb.spec.eventsSocket, '');
  const events: unknown[] = [];
  const observer = haproxy.observer!([lb], { lab, host, facts: emptyFacts(), emit: (e) => events.push(e), since: () => 9 });
  await observer.poll();
  await observer.poll();
  await new Promise((r) => setTimeout(r, 5));
  t.same(events, [
    {
      type: 'service',
      kind: 'haproxy',
      event: 'log',
      source: 'qlbaas-01/lb',
      message: 'Server p/m2 is DOWN, reason: Layer4 timeout',
      text: 'qlbaas-01/lb says: Server p/m2 is DOWN, reason: Layer4 timeout',
      tone: 'bad',
      quoted: true,
      at_ms: 9,
    },
  ]);
  t.equal(host.log.filter((l) => l.startsWith('stream /')).length, 1, 'one stream, kept open');
  observer.close!();
  t.match(host.log.at(-1), /^stream stop /);
  // Observing again (the experiment's faster pace): only new lines, and the first stream's late
  // end does not make it open a third.
  await observer.poll();
  await new Promise((r) => setTimeout(r, 5));
  await observer.poll();
  t.same(
    host.log.filter((l) => l.startsWith('stream /')).map((l) => l.split(' ').slice(2).join(' ')),
    [`show events ${LOG_RING} -w`, `show events ${LOG_RING} -w -n`],
  );
  t.equal(events.length, 1, 'the ring is not told twice');
});

t.test('LBaaS v2: one VIP, two listeners, each with its pool, in one config; v1 says what it is', async (t) => {
  const side = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'lbaas-v1-v2.yaml')), { stateRoot: '/run/lablb' });
  const of = (node: string) => side.nodes.find((n) => n.name === node)!.services[0] as LabService<HaproxySpec>;
  const v2 = renderHaproxyConf(of('qlbaas-v2'));
  t.match(v2, /^# LBaaS v2 \(haproxy namespace driver\): one load balancer, 2 listeners on its VIP\n/);
  t.match(v2, /frontend test-lb-http\n    option tcplog\n    bind 10\.0\.0\.200:80\n[^]*default_backend test-lb-pool-http/);
  t.match(v2, /frontend test-lb-8080\n    option tcplog\n    bind 10\.0\.0\.200:8080\n[^]*default_backend test-lb-pool-8080/);
  t.match(v2, /    maxconn 200\n/, "global maxconn: both listeners' limits");
  t.match(v2, /server v2-web2-8080 10\.0\.0\.17:8080 weight 1 check inter 5s fall 2 rise 2/);
  t.match(renderHaproxyConf(of('qlbaas-v1-http')), /^# LBaaS v1 \(haproxy driver\): one VIP, one port, one pool\n/);
  t.same(
    haproxy.binds!(of('qlbaas-v2').spec).map((b) => b.path),
    [
      ['listeners', 0, 'address'],
      ['listeners', 1, 'address'],
    ],
  );
  t.same(
    haproxy.members!(of('qlbaas-v2').spec).map((m) => m.id),
    ['v2-web1-80', 'v2-web2-80', 'v2-web1-8080', 'v2-web2-8080'],
  );
  t.same(haproxy.startsAfterNodes!(of('qlbaas-v2').spec), ['web1', 'web2']);
  const facts = emptyFacts();
  haproxyFacts(facts, of('qlbaas-v2'))['v2-web2-80'] = { node: 'web2', status: 'DOWN', sessions: 0, checkStatus: 'L4CON' };
  const rows = haproxy.rows!(of('qlbaas-v2'), facts);
  t.equal(rows.length, 6, 'a head and two members per listener');
  t.match(rows[3][0].text, /^ +$/, "the second listener's head does not repeat the name");
  t.match(rows[2].map((c) => c.text).join(''), /web2.*DOWN/);
});

t.test('with several pools (LBaaS v2 listeners), a member change names its pool: one node is a member of each', async (t) => {
  const { fakeHost } = await import('../../../test/fake-host.js');
  const v1v2 = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'lbaas-v1-v2.yaml')), { stateRoot: '/run/lablb' });
  const lb = v1v2.nodes.find((n) => n.name === 'qlbaas-v2')!.services[0] as LabService<HaproxySpec>;
  let status = 'UP';
  const csv = () =>
    [
      '# pxname,svname,scur,status,check_status',
      ...lb.spec.frontends.flatMap((f) => f.pool.members.map((m) => `${f.pool.id},${m.id},0,${m.id === 'v2-web2-80' ? status : 'UP'},L7OK`)),
    ].join('\n');
  const host = fakeHost({ sockets: { [lb.spec.statsSocket]: csv } });
  const events: LabEvent[] = [];
  const observer = haproxy.observer!([lb], { lab: v1v2, host, facts: emptyFacts(), emit: (e) => events.push(e), since: () => 7 });
  await observer.poll();
  status = 'DOWN';
  await observer.poll();
  t.match(events, [
    { type: 'service', kind: 'haproxy', event: 'member', source: 'qlbaas-v2/lb', member: 'web2', pool: 'test-lb-pool-http', status: 'DOWN', at_ms: 7 },
  ]);
  t.equal(eventText(events[0]), 'qlbaas-v2/lb: member web2 in pool test-lb-pool-http is DOWN');
});
