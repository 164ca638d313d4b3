// The live screen on recorded state: what a person sees when a member goes DOWN, an outage
// starts, a step passes; and that the frame always fits the terminal.
import { render } from 'ink-testing-library';
import t from 'tap';
import { stripVTControlCharacters } from 'node:util';
import { join } from 'node:path';
import { emptyFacts } from '../../src/kinds/facts.js';
import type { LabEvent } from '../../src/kinds/events.js';
import type { LabService } from '../../src/model.js';
import type { HaproxySpec } from '../../src/services/haproxy/haproxy.js';
import { haproxyFacts, memberEvent, type MemberFact } from '../../src/services/haproxy/observe.js';
import type { KeepalivedSpec } from '../../src/services/keepalived/keepalived.js';
import { keepalivedFacts, vrrpEvent } from '../../src/services/keepalived/observe.js';
import { Observation } from '../../src/observe/hub.js';
import type { Sample } from '../../src/sample.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { App, layout, Screen } from '../../src/ui/app.js';
import { LiveStore } from '../../src/ui/store.js';
import { applyEvent, initialView, servicePanels, sparkline, trafficView, type LabView } from '../../src/ui/view.js';
import { l3Agent, type L3Spec } from '../../src/services/l3-agent/l3-agent.js';
import { floatingIpRules } from '../../src/services/l3-agent/rules.js';
import { fakeHost } from '../fake-host.js';
import { loadFixtureLab, ROOT } from '../helpers.js';

const lab = loadFixtureLab();
const VM1 = '1f74a288-937d-4804-9ded-472a5d1110dc';
const VM2 = '944ff4a0-4070-40e4-8189-20f385755113';

const lbService = lab.nodes.find((n) => n.name === 'qlbaas-01')!.services[0] as LabService<HaproxySpec>;

function member(id: string, node: string, status: string): [string, MemberFact] {
  return [id, { node, status, sessions: 0, checkStatus: status === 'UP' ? 'L4OK' : 'L4CON' }];
}

/** The services panel as the haproxy kind draws these members. */
function withMembers(v: LabView, members: [string, MemberFact][]): LabView {
  const facts = emptyFacts();
  Object.assign(haproxyFacts(facts, lbService), Object.fromEntries(members));
  return { ...v, panels: servicePanels(v.lab, facts) };
}

const probe = { from: 'ext', url: 'http://10.255.253.100/', intervalMs: 50 };
const NOW = 1_000_000;
const ok = (seq: number, body: string): Sample => ({ seq, t: NOW - 3000 + seq * 50, ok: true, ms: 3, body });
const fail = (seq: number): Sample => ({ seq, t: NOW - 3000 + seq * 50, ok: false, ms: 1, error: 'ECONNREFUSED' });

/** A lab mid-experiment: built, step 2 running, both members UP. */
function running(): LabView {
  let v = initialView(lab, 'run');
  v = applyEvent(v, { type: 'lab', lab: lab.name, state: 'building', datapath: 'netdev' });
  v = applyEvent(v, { type: 'lab', lab: lab.name, state: 'ready', ms: 800 });
  v = applyEvent(v, { type: 'step', name: 'round-robin', kind: 'traffic', index: 1, total: 5 });
  v = applyEvent(v, { type: 'check', name: 'round-robin', ok: true, detail: '20/20 ok, alternating server_81/server_82' });
  v = applyEvent(v, { type: 'step', name: 'kill-vm2-web', kind: 'stop-service', index: 2, total: 5 });
  return {
    ...withMembers(v, [member(VM1, 'vm1', 'UP'), member(VM2, 'vm2', 'UP')]),
    traffic: trafficView(
      Array.from({ length: 40 }, (_, i) => ok(i, i % 2 ? 'server_81' : 'server_82')),
      probe,
      NOW,
    ),
  };
}

const frame = (view: LabView, columns = 120, rows = 40) => render(<Screen view={view} columns={columns} rows={rows} />);

t.test('a member going DOWN shows on the screen', async (t) => {
  const v = running();
  const screen = frame(v);
  t.match(screen.lastFrame(), /vm2\s+10\.0\.0\.82:80\s+UP\s/);
  screen.rerender(
    <Screen
      view={applyEvent(
        withMembers(v, [member(VM1, 'vm1', 'UP'), member(VM2, 'vm2', 'DOWN')]),
        memberEvent(lbService, { node: 'vm2', pool: 'pool' }, 'DOWN', 3000),
      )}
      columns={120}
      rows={40}
    />,
  );
  const after = screen.lastFrame() ?? '';
  t.match(after, /vm2\s+10\.0\.0\.82:80\s+DOWN\s/);
  t.match(after, /qlbaas-01\/lb: member vm2 is DOWN/, 'and in the events');
  screen.unmount();
});

t.test('the experiment: done, running, to come', async (t) => {
  const out = frame(running()).lastFrame() ?? '';
  t.match(out, /✔ round-robin 20\/20 ok/);
  t.match(out, /▶ kill-vm2-web/);
  t.match(out, /· restart-vm2-web/);
  t.match(out, /step 2\/5: kill-vm2-web/, 'the header says which step runs');
});

t.test('an outage counts up while it lasts', async (t) => {
  const samples = [...Array.from({ length: 30 }, (_, i) => ok(i, 'server_81')), ...Array.from({ length: 10 }, (_, i) => fail(30 + i))];
  const traffic = trafficView(samples, probe, NOW);
  t.equal(traffic.outageMs, 1500, 'from the first failed send to now');
  const out = frame({ ...running(), traffic }).lastFrame() ?? '';
  t.match(out, /OUTAGE 1\.5 s \(ECONNREFUSED\)/);
  t.match(out, /failed 10/);
  t.equal(trafficView(samples.slice(0, 30), probe, NOW).outageMs, undefined, 'no outage while replies come');
});

t.test("NAT counters, in the router kind's own panel, show how much they grew", async (t) => {
  const router = lab.nodes.find((n) => n.name === 'qrouter01')!.services.find((s) => s.kind === 'l3-agent') as LabService<L3Spec>;
  const save = (packets: number) => `*nat\n[${packets}:300] ${floatingIpRules('10.255.253.100', '10.0.0.100').dnat}\nCOMMIT\n`;
  const stdout = { 'iptables-save': save(5) };
  const host = fakeHost({ stdout });
  const facts = emptyFacts();
  const events: LabEvent[] = [];
  const observer = l3Agent.observer!([router], { lab, host, facts, emit: (e) => events.push(e), since: () => 1 });
  await observer.poll();
  stdout['iptables-save'] = save(12);
  await observer.poll();
  const v = { ...running(), panels: servicePanels(lab, facts) };
  t.equal(v.panels[1].title, 'NAT rules (packets = new flows)');
  t.match(frame(v).lastFrame(), /12 \+7 +PREROUTING DNAT 10\.255\.253\.100->10\.0\.0\.100│/);
  t.same(
    events.map((e) => e.type === 'service' && e.text),
    ['qrouter01: first packet on PREROUTING DNAT 10.255.253.100->10.0.0.100'],
    'its first packet told once',
  );
});

t.test('the topology shows bridges, tags, ports and who holds the floating IP', async (t) => {
  const v = {
    ...running(),
    addresses: {
      qrouter01: [
        { dev: 'qg01', address: '10.255.253.10/24' },
        { dev: 'qg01', address: '10.255.253.100/32' },
      ],
    },
  };
  const out = frame(v).lastFrame() ?? '';
  t.match(out, /br-int/);
  t.match(out, /tag 1 tap04\s+qlbaas-01\s+10\.0\.0\.100\/24 VIP lb/);
  t.match(out, /qg01\s+qrouter01\s+10\.255\.253\.10\/24 \+10\.255\.253\.100/);
});

t.test("the frame is exactly the terminal's height, at any size", async (t) => {
  for (const [columns, rows] of [
    [120, 40],
    [100, 30],
    [80, 24],
    [60, 20],
  ]) {
    const out = frame(running(), columns, rows).lastFrame() ?? '';
    t.equal(out.split('\n').length, rows, `${columns}x${rows}`);
    const widest = Math.max(...out.split('\n').map((l) => stripVTControlCharacters(l).length));
    t.ok(widest <= columns, `${columns}x${rows}: no line wider than the terminal (widest ${widest})`);
  }
  t.same(Object.keys(layout(running(), 120, 40).heights).sort(), ['events', 'experiment', 'kinds', 'services', 'topology', 'traffic']);
  t.notOk(layout(running(), 80, 24).heights.topology, 'a small terminal leaves the topology out first');
  t.ok(layout(running(), 80, 24).heights.services, 'and keeps the members');
});

t.test('keys: ? help, tab selects a node, q quits', async (t) => {
  const store = new LiveStore(lab, 'run');
  let quit = 0;
  const app = render(<App store={store} onQuit={() => quit++} />);
  const tick = () => new Promise((r) => setTimeout(r, 30));
  await tick();
  app.stdin.write('?');
  await tick();
  t.match(app.lastFrame(), /q, ctrl-c\s+quit \(tears the lab down\)/);
  app.stdin.write('\u001b'); // esc
  await tick();
  t.notMatch(app.lastFrame(), /Keys/);
  app.stdin.write('\t');
  await tick();
  t.equal(store.getSnapshot().selected, 'vm1');
  t.match(app.lastFrame(), /tab select node \(vm1\)/);
  app.stdin.write('q');
  await tick();
  t.equal(quit, 1);
  app.unmount();
});

t.test('a watched lab shows no experiment', async (t) => {
  t.same(initialView(lab, 'watch').steps, []);
  t.equal(initialView(lab, 'run').steps.length, 5);
});

t.test('sparkline', async (t) => {
  t.equal(sparkline([1, 2, 4, 8, null]), '▁▂▄█×');
  t.equal(sparkline([]), '');
});

t.test('VRRP instances show their state and VIP, as the keepalived kind draws them', async (t) => {
  const pair = resolveLab(loadScenarioFile(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml')), { stateRoot: '/run/lablb' });
  const facts = emptyFacts();
  keepalivedFacts(facts, { node: 'lb1', name: 'vrrp' }).VR_1 = 'FAULT';
  keepalivedFacts(facts, { node: 'lb2', name: 'vrrp' }).VR_1 = 'MASTER';
  let v = { ...initialView(pair, 'run'), panels: servicePanels(pair, facts) };
  v = applyEvent(v, vrrpEvent(pair.nodes.find((n) => n.name === 'lb2')!.services[0] as LabService<KeepalivedSpec>, 'VR_1', 'MASTER', 3400));
  v = applyEvent(v, { type: 'address', node: 'lb2', address: '10.1.0.100/24', dev: 'eth0', held: true, at_ms: 3410 });
  const out = frame(v).lastFrame() ?? '';
  t.match(out, /lb1\/vrrp VR_1 id 51 prio 100 FAULT VIP 10\.1\.0\.100/);
  t.match(out, /lb2\/vrrp VR_1 id 51 prio 90 MASTER VIP 10\.1\.0\.100/);
  t.match(out, /lb2\/vrrp VR_1: MASTER/, 'the transition in the events');
  t.match(out, /lb2 now holds 10\.1\.0\.100\/24 on eth0/, 'and the VIP moving');
});

t.test('stop() during a poll in flight ends the polling (no timer keeps lablb alive)', async (t) => {
  let polls = 0;
  const host = fakeHost({
    sockets: {
      '/run/lablb/floating-ip-lb/nodes/qlbaas-01/haproxy_stats.sock': () => {
        polls++;
        return '';
      },
    },
  });
  const observation = new Observation(lab, host, () => {});
  observation.start(10);
  await new Promise((r) => setTimeout(r, 5)); // the first poll is in flight
  observation.stop();
  const seen = polls;
  await new Promise((r) => setTimeout(r, 100));
  t.ok(seen <= 1, 'at most the one poll in flight');
  t.equal(polls, seen, 'no poll after stop()');
});

t.test("the topology shows each port's security and drops, and which members are containers", async (t) => {
  const vip = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'keepalived-vip.yaml')), { stateRoot: '/run/lablb' });
  const drops = (arp: number, ingress: number) => ({ 'arp-spoof': arp, 'ip-spoof': 0, egress: 0, ingress });
  const view: LabView = {
    ...initialView(vip, 'watch'),
    security: {
      'keepalived01/eth0': { enabled: true, groups: ['web'], pairs: [{ ip: '172.16.200.251' }], summary: '', drops: drops(12, 0) },
      'keepalived02/eth0': { enabled: false, groups: [], pairs: [], summary: '', drops: drops(0, 0) },
      'client/eth0': { enabled: true, groups: ['web'], pairs: [], summary: '', drops: drops(0, 7) },
    },
  };
  const out = stripVTControlCharacters(frame(view, 200).lastFrame() ?? '');
  // Each secured port's state on the line below it, so a narrow topology never cuts it off.
  t.match(out, /keepalived01 +eth0 172\.16\.200\.193\/24 *│[^\n]*\n│ {6,}sg web \+pair 172\.16\.200\.251 drop arp 12/);
  t.match(out, /keepalived02 +eth0 172\.16\.200\.194\/24 *│[^\n]*\n│ {6,}no port security/);
  t.match(out, /client +eth0 172\.16\.200\.10\/24 *│[^\n]*\n│ {6,}sg web drop in 7/);
  const narrow = stripVTControlCharacters(frame(view, 120).lastFrame() ?? '');
  t.match(narrow, /sg web \+pair 172\.16\.200\.251 drop arp 12/, 'at 120 columns too');

  const docker = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb-docker.yaml')), { stateRoot: '/run/lablb' });
  t.match(stripVTControlCharacters(frame(initialView(docker, 'watch'), 200).lastFrame() ?? ''), /vm1 +\[docker lablb\/busybox:1\] eth0 10\.0\.0\.81\/24/);
});

t.test('a lab of hosts: the topology groups ports by host and bridge', async (t) => {
  const hosts = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'vxlan-hosts.yaml')), { stateRoot: '/run/lablb' });
  const out = stripVTControlCharacters(frame(initialView(hosts, 'run'), 120, 50).lastFrame() ?? '');
  const at = (text: string) => out.indexOf(text);
  t.ok(at('network1 (network, 192.168.77.1) br-int') >= 0, out);
  t.ok(at('network1 (network, 192.168.77.1) br-ex') >= 0);
  t.ok(at('compute1 (compute, 192.168.77.2) br-int') >= 0);
  t.ok(at('compute2 (compute, 192.168.77.3) br-int') >= 0);
  t.notOk(out.includes('compute1 (compute, 192.168.77.2) br-tun'), 'a bridge without nodes is left out');
  t.ok(at('compute1 (compute, 192.168.77.2) br-int') < at('tap-vm1') && at('tap-vm1') < at('compute2 (compute'), "vm1's port under compute1");
  t.ok(at('compute2 (compute, 192.168.77.3) br-int') < at('tap-vm2'), "vm2's port under compute2");
  t.match(out, /tag 1 qr-1\s+qrouter-1/);
});
