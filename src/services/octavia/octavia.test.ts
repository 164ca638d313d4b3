// Octavia in the lab, the pure parts: the heartbeat on the wire (signed, a forged one
// dropped), the configs the controller renders (peers, nopreempt, pitfall 9), the octavia
// block's checks, the wait on the database, and the agent's log lines read back.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { labFromText, ROOT } from '../../../test/helpers.js';
import { decodeHeartbeat, encodeHeartbeat, type Heartbeat } from '../../agents/heartbeat.js';
import { renderAmphoraHaproxy, renderAmphoraKeepalived, type OctaviaDb } from '../../agents/octavia-templates.js';
import { emptyFacts } from '../../kinds/facts.js';
import type { LabService } from '../../model.js';
import type { ScenarioError } from '../../errors.js';
import { agentRequests } from '../amphora-agent/amphora-agent.js';
import type { OctaviaSpec } from './octavia.js';
import { loadbalancerWait, staleBound, vipMovesSince } from './wait.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';

const scenario = readFileSync(join(ROOT, 'scenarios', 'octavia.yaml'), 'utf8').replaceAll('${topology}', 'ACTIVE_STANDBY');
const concrete = scenario
  .replace('"${heartbeat.interval_ms}"', '1000')
  .replace('"${heartbeat.timeout_ms}"', '5000')
  .replace('${replacement_preempts}', 'false')
  .replace('${failover_order}', 'delete-first')
  .replace('${amphora_boot_ms}', '0')
  .replace(/^parameters:[\s\S]*?\n\n/m, '');
const octaviaOf = (text: string) => labFromText(text).nodes.find((n) => n.name === 'controller')!.services[0] as LabService<OctaviaSpec>;

t.test('a heartbeat is signed with the key; a forged or damaged one is dropped', async (t) => {
  const msg: Heartbeat = { id: 'b07c2493-32de-4af0-bf88-abe3c54355ce', seq: 7, ver: 3, listeners: {}, pools: { p: { status: 'UP', members: { m1: 'UP' } } } };
  const wire = encodeHeartbeat(msg, 'insecure');
  t.same(decodeHeartbeat(wire, 'insecure'), { msg });
  t.same(decodeHeartbeat(wire, 'other-key'), { error: 'bad signature' }, 'another key');
  const tampered = Buffer.from(wire);
  tampered[0] ^= 1;
  t.same(decodeHeartbeat(tampered, 'insecure'), { error: 'bad signature' }, 'a flipped bit');
  t.same(decodeHeartbeat(Buffer.from('short'), 'insecure'), { error: 'too short' });
  t.equal(
    wire.subarray(-64).toString(),
    wire
      .subarray(-64)
      .toString()
      .replace(/[^0-9a-f]/g, ''),
    'the digest is appended as hex',
  );
});

t.test("the controller's configs: haproxy with peers and <pool>:<listener>, keepalived as Octavia's template", async (t) => {
  const spec = octaviaOf(concrete).spec;
  const amps = [
    { id: 'b07c2493-32de-4af0-bf88-abe3c54355ce', vrrpIp: '10.0.0.12', role: 'MASTER' as const },
    { id: '57865deb-b8b6-45bc-a2d2-d231c7e011ae', vrrpIp: '10.0.0.13', role: 'BACKUP' as const },
  ];
  const haproxy = renderAmphoraHaproxy(spec.config.lb, amps);
  t.match(haproxy, /peers 38307452d6bd488baf293032fff65fe1_peers\n {4}peer b07c249332de4af0bf88abe3c54355ce 10\.0\.0\.12:1025\n {4}peer 57865deb/);
  t.match(haproxy, /backend 5f2b8a64-0c1e-4d7a-9b3f-6e8d2c4a1b07:816339a8-2e17-4b61-8825-c6856d7b7f2e\n/);
  t.match(haproxy, /server 9a3c1e57-2b4d-4f68-8e1a-3c5b7d9f0a12 10\.0\.0\.3:80 weight 1 check inter 1s fall 2 rise 2/);
  t.notMatch(renderAmphoraHaproxy({ ...spec.config.lb, topology: 'SINGLE' }, amps.slice(0, 1)), /peers/, 'SINGLE has no peers');
  const master = renderAmphoraKeepalived(spec.config.lb, amps[0], [amps[1]]);
  t.match(master, /priority 100\n {4}nopreempt\n {4}accept/);
  t.notMatch(master, /state /, 'no state line: every amphora starts BACKUP');
  t.match(master, /unicast_src_ip 10\.0\.0\.12\n {4}unicast_peer {\n {8}10\.0\.0\.13\n/);
  t.match(master, /vrrp_script check_script {\n {4}script \{\{amphora_dir\}\}\/vrrp\/check_script\.sh\n {4}interval 5\n {4}fall 2\n {4}rise 2/);
  t.match(renderAmphoraKeepalived(spec.config.lb, amps[1], [amps[0]]), /priority 90/);
  const pitfall = renderAmphoraKeepalived(spec.config.lb, amps[0], [amps[1]], { preempt: true });
  t.match(pitfall, /state MASTER/);
  t.notMatch(pitfall, /nopreempt/, 'pitfall 9: the rebuilt amphora preempts');
});

t.test('the octavia block: the controller on lb-mgmt-net, enough ports and addresses, inside the subnet', async (t) => {
  const spec = octaviaOf(concrete).spec;
  t.equal(spec.config.bind, '192.168.0.3:5555');
  t.equal(spec.config.api, '192.168.0.3:9876', "Octavia's API beside the health manager");
  t.equal(spec.config.failoverOrder, 'delete-first', "the article's order by default");
  const buildFirst = concrete.replace('failover_order: delete-first', 'failover_order: build-first');
  t.equal(octaviaOf(buildFirst).spec.config.failoverOrder, 'build-first');
  const noSpare = buildFirst.replace(/\n +- \{ id: 7c4d1f3b[^\n]*/, '');
  const spareErr = t.throws(() => labFromText(noSpare)) as ScenarioError;
  t.match(
    spareErr.problems.map((p) => `${p.path}: ${p.message}`).join('\n'),
    /vrrp_ports: build-first failover needs a spare VRRP port for the replacement: list 3/,
  );
  t.equal(spec.config.labApi, '/run/lablb/octavia/lab-api.sock');
  t.equal(spec.config.keyFile, '/run/lablb/octavia/lab.key', "the lab's secret, shown to the amphorae's agents");
  t.equal(spec.config.lb.vrrp.authPass, '3830745');
  const broken = concrete
    .replace('vip_address: 10.0.0.11 ', 'vip_address: 10.9.0.11 ')
    .replace(
      /vrrp_ports:\n[\s\S]*?\n(?= +heartbeat:)/,
      'vrrp_ports:\n          - { id: fbdca2b6-03c6-4775-b72c-340d55be0aa3, address: 10.0.0.12, mac: "fa:16:3e:eb:ad:76" }\n',
    )
    .replace('addresses: [192.168.0.10, 192.168.0.11, 192.168.0.12, 192.168.0.13, 192.168.0.14]', 'addresses: [192.168.0.3, 192.168.0.10]');
  const err = t.throws(() => labFromText(broken)) as ScenarioError;
  const messages = err.problems.map((p) => `${p.path}: ${p.message}`);
  t.match(messages.join('\n'), /vip_address: 10\.9\.0\.11 is outside 10\.0\.0\.0\/24/);
  t.match(messages.join('\n'), /vrrp_ports: ACTIVE_STANDBY needs 2 VRRP ports/);
  t.match(messages.join('\n'), /addresses: 2 amphorae and a replacement need at least 3 addresses/);
  t.match(messages.join('\n'), /addresses\[0\]: 192\.168\.0\.3 is the controller's own address/);
});

t.test('the wait reads the database: PENDING_UPDATE, then ACTIVE after a failover with every member UP', async (t) => {
  const facts = emptyFacts();
  const spec = { node: 'controller', service: 'octavia', status: 'ACTIVE' as const, failovers: 1, membersUp: 2, vipHeld: false, vipMoves: 0, replaced: false };
  t.same(loadbalancerWait.check(spec, facts, 0), { met: false, now: 'no database yet' });
  const db: OctaviaDb = {
    loadbalancer: { id: 'x', vip_address: '10.0.0.11', provisioning_status: 'PENDING_UPDATE', operating_status: 'ONLINE', topology: 'SINGLE' },
    amphorae: [{ id: 'a', status: 'ALLOCATED', created_at: new Date(10).toISOString() } as OctaviaDb['amphorae'][number]],
    amphora_health: { a: { last_update: 1, busy: false, members: { m1: 'UP', m2: 'DOWN' } } },
    heartbeats: { received: 1, dropped: 0 },
    members: {},
    failovers: [{ amphora: 'old', order: 'delete-first', staleAt: 100 }],
  };
  facts.services['controller/octavia'] = { db, vipHolders: [], vipHistory: [] };
  t.same(loadbalancerWait.check({ ...spec, status: 'PENDING_UPDATE', failovers: 0, membersUp: 0 }, facts, 50).met, true, 'a failover began');
  t.equal(loadbalancerWait.check(spec, facts, 50).met, false);
  db.loadbalancer.provisioning_status = 'ACTIVE';
  db.failovers[0].doneAt = 200;
  t.same(loadbalancerWait.check(spec, facts, 50), { met: false, now: 'ACTIVE, 1 failover done, members UP 1 of 2' }, 'a member still DOWN');
  db.amphora_health.a.members.m2 = 'UP';
  t.equal(loadbalancerWait.check(spec, facts, 50).met, true);
  t.equal(loadbalancerWait.check(spec, facts, 150).met, false, 'a failover from before the step does not count');
  t.equal(loadbalancerWait.figure(spec), 'members_up_ms');
  t.equal(loadbalancerWait.figure({ ...spec, membersUp: 0 }), 'failover_ms');
  t.equal(loadbalancerWait.figure({ ...spec, status: 'PENDING_UPDATE', membersUp: 0 }), 'detected_ms');

  // The VIP held by exactly one amphora; every amphora from before the step replaced.
  const held = { ...spec, membersUp: 0, vipHeld: true };
  t.same(loadbalancerWait.check(held, facts, 50), { met: false, now: 'ACTIVE, 1 failover done, VIP held by 0 amphorae' });
  facts.services['controller/octavia'] = { db, vipHolders: ['a'], vipHistory: [] };
  t.equal(loadbalancerWait.check(held, facts, 50).met, true);
  t.equal(loadbalancerWait.figure(held), 'vip_held_ms');
  const replaced = { ...spec, failovers: 0, membersUp: 0, replaced: true };
  t.same(loadbalancerWait.check(replaced, facts, 50), { met: false, now: 'ACTIVE, 1 failover done, 1 amphora from before left' }, 'a was there before');
  t.equal(loadbalancerWait.check(replaced, facts, 5).met, true, 'a came after the step began');
  t.equal(loadbalancerWait.figure(replaced), 'replaced_ms');
});

t.test('the VIP moves: counted when another amphora comes to hold it alone, after the step began', async (t) => {
  const history = [
    { at: 10, holders: ['a'] },
    { at: 20, holders: [] },
    { at: 30, holders: ['b'] },
    { at: 40, holders: ['a', 'b'] },
    { at: 50, holders: ['a'] },
  ];
  t.equal(vipMovesSince(history, 15), 2, 'a -> b, then b -> a (the gap and the overlap are not moves)');
  t.equal(vipMovesSince(history, 35), 1);
  t.equal(vipMovesSince(history, 60), 0);
  t.equal(vipMovesSince([{ at: 30, holders: ['b'] }], 0), 1, 'a first holder after the step began is a move');
  const facts = emptyFacts();
  facts.services['controller/octavia'] = { db: undefined, vipHolders: ['a'], vipHistory: history };
  const spec = { node: 'controller', service: 'octavia', status: 'ACTIVE' as const, failovers: 0, membersUp: 0, vipHeld: false, vipMoves: 2, replaced: false };
  t.same(loadbalancerWait.check(spec, facts, 15), { met: true, now: 'the VIP moved 2 times, held by a' }, 'no database needed');
  t.equal(loadbalancerWait.check(spec, facts, 35).met, false);
  t.equal(loadbalancerWait.figure(spec), 'vip_moved_2_ms');
  t.equal(loadbalancerWait.figure({ ...spec, vipMoves: 1 }), 'vip_moved_ms');
  t.match(loadbalancerWait.describe(spec), /moved to another amphora 2 times/);
});

t.test("the agent's log read back: werkzeug's request lines, nothing else", async (t) => {
  const log = [
    '2026-12-03 13:01:02.003 416 INFO octavia.amphorae.backends.agent [-] amphora-agent for amphora x on 192.168.0.10:9876/0.5',
    '2026-12-03 13:01:02.265 416 INFO werkzeug [-] 192.168.0.3 - - [03/Dec/2026 13:01:02] "PUT /0.5/vrrp/upload HTTP/1.1" 200 -',
    '2026-12-03 13:01:02.300 416 INFO werkzeug [-] 192.168.0.3 - - [03/Dec/2026 13:01:02] "POST /0.5/plug/vip/10.0.0.11 HTTP/1.1" 404 -',
  ].join('\n');
  t.same(
    agentRequests(log).map((r) => [r.from, r.method, r.path, r.status]),
    [
      ['192.168.0.3', 'PUT', '/0.5/vrrp/upload', 200],
      ['192.168.0.3', 'POST', '/0.5/plug/vip/10.0.0.11', 404],
    ],
  );
});

t.test("a failover's start is bounded by the health manager's timers, from the config the lab wrote", async (t) => {
  t.same(staleBound({ heartbeatTimeoutMs: 60_000, healthCheckIntervalMs: 3000 }), { ms: 63_000, why: 'heartbeat_timeout 60 s + health_check_interval 3 s' });
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'octavia.yaml'), new Map([['heartbeat.timeout_ms', 7000]])), { stateRoot: '/run/lablb' });
  const waits = (step: string) => (lab.experiment!.steps.find((s) => s.name === step)!.spec as { waits: { spec: { bound?: unknown } }[] }).waits;
  const bound = { ms: 8000, why: 'heartbeat_timeout 7 s + health_check_interval 1 s' };
  t.same(loadbalancerWait.bound!(waits('mgmt-port-down')[0].spec as never), bound, 'PENDING_UPDATE: bounded');
  t.same(loadbalancerWait.bound!(waits('agent-dies')[0].spec as never), bound);
  t.equal(loadbalancerWait.bound!(waits('mgmt-port-down')[1].spec as never), undefined, 'ACTIVE again: a boot and a configuration, no protocol bound');
});
