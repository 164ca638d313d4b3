// The port security steps against a fake host: each reads the lab's security state, changes
// it as Neutron would, and applies the new state and every bridge's flows through the engine.
import { join } from 'node:path';
import t from 'tap';
import { fakeHost } from '../../test/fake-host.js';
import { labFromText, ROOT } from '../../test/helpers.js';
import { readFileSync } from 'node:fs';
import type { StepContext } from '../kinds/step-kind.js';
import type { LabStep } from '../model.js';
import type { Op } from '../kinds/ops.js';
import { emptyFacts } from '../kinds/facts.js';
import { securityObserver, parseDropCounters } from '../observe/security-watch.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveLab } from '../scenario/resolve.js';
import { securityFile } from '../security/apply.js';
import { dropCookie } from '../security/flows.js';
import { eventText, type LabEvent } from '../kinds/events.js';
import { stepKindOf } from './all.js';
import { describePortChange } from './security.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'keepalived-vip.yaml')), { stateRoot: '/run/lablb' });
/** A step of the scenario, without its waits and traffic: here only its action counts. */
const stepNamed = (name: string) => {
  const step = lab.experiment!.steps.find((s) => s.name === name)! as LabStep<{ waits: unknown[] }>;
  return { ...step, spec: { ...step.spec, waits: [], probe: undefined, then: undefined } };
};

function context(host = fakeHost()) {
  const applied: Op[] = [];
  const ctx: StepContext = {
    startedAt: Date.now(),
    lab,
    host,
    apply: async (ops) => {
      applied.push(...ops);
      // As the engine would: the state file is written.
      for (const op of ops) if (op.kind === 'write') host.writeFile(op.path, op.content);
    },
    facts: emptyFacts(),
    observe: async () => {},
    probe: () => undefined,
    emit: () => {},
    datapath: 'netdev',
    topology: { add: () => {}, remove: () => {}, replaceService: () => {} },
    signal: new AbortController().signal,
  };
  return { ctx, applied, host };
}

t.test('the steps change the state as Neutron would and rewrite the flows', async (t) => {
  const { ctx, applied, host } = context();
  const run = (name: string) => stepKindOf(stepNamed(name).kind).run(stepNamed(name), ctx);
  const rule = await run('security-group-rule-create-112-ingress');
  t.ok(rule.ok, rule.detail);
  t.match(rule.detail, /neutron security-group-rule-create web: ingress vrrp/);
  t.match(JSON.parse(host.readFile(securityFile(lab))!).groups[0].rules.at(-1), { id: 'web-5', direction: 'ingress', protocol: 112 });
  const replace = applied.find((op) => op.kind === 'run' && op.argv.includes('replace-flows'));
  t.match(replace, { argv: ['ovs-ofctl', '-O', 'OpenFlow14', '--bundle', 'replace-flows', /br-int\.mgmt$/, /br-int\.flows$/] });
  const flows = applied.find((op) => op.kind === 'write' && op.path.endsWith('br-int.flows'));
  t.match(flows, { content: /nw_proto=112/ });

  // The state carries over from step to step, through the file.
  t.ok((await run('port-update-allowed-address-pairs-01')).ok);
  t.ok((await run('port-update-no-security-groups-02')).ok);
  t.ok((await run('port-update-port-security-disabled-02')).ok);
  const state = JSON.parse(host.readFile(securityFile(lab))!);
  t.same(state.ports['keepalived01/eth0'], { enabled: true, groups: ['web'], pairs: [{ ip: '172.16.200.251' }] });
  t.same(state.ports['keepalived02/eth0'], { enabled: false, groups: [], pairs: [] });
  t.equal(state.groups[0].rules.length, 5);

  // Neutron's refusal fails the step with its message.
  const fresh = context();
  await t.rejects(stepKindOf('port-update').run(stepNamed('port-update-port-security-disabled-02'), fresh.ctx), /has security group associated/);
  await t.rejects(
    stepKindOf('security-group-rule-delete').run(
      {
        kind: 'security-group-rule-delete',
        name: 'x',
        spec: { action: { group: 'web', rule: { direction: 'ingress', protocol: 47 } }, waits: [], withinMs: 10 },
      },
      fresh.ctx,
    ),
    /Security group rule web: ingress 47 could not be found/,
  );
  const deleted = await stepKindOf('security-group-rule-delete').run(
    { kind: 'security-group-rule-delete', name: 'x', spec: { action: { group: 'web', rule: { direction: 'ingress', protocol: 1 } }, waits: [], withinMs: 10 } },
    fresh.ctx,
  );
  t.match(deleted.detail, /neutron security-group-rule-delete web: ingress icmp/);
  t.equal(JSON.parse(fresh.host.readFile(securityFile(lab))!).groups[0].rules.length, 3);
  t.equal(describePortChange({ port: 'a/b', adminStateUp: false }), 'neutron port-update a/b --admin-state-up False');
  t.equal(
    describePortChange({ port: 'a/b', pairs: [], groups: ['web'], enabled: true }),
    'neutron port-update a/b --allowed-address-pairs action=clear --security-group web --port_security_enabled=True',
  );
  t.equal(
    describePortChange({ port: 'a/b', pairs: [{ ip: '10.0.0.1', mac: 'fa:16:3e:00:00:01' }] }),
    'neutron port-update a/b --allowed-address-pairs 10.0.0.1,fa:16:3e:00:00:01',
  );
});

t.test('a port without a fixed MAC is read from its node when port security comes on', async (t) => {
  const host = fakeHost({ stdout: { 'link show dev eth0': '2: eth0@if3: <BROADCAST> mtu 1500\\    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff' } });
  const { portMacs } = await import('../security/apply.js');
  const noMac = { ...lab, nodes: lab.nodes.map((n) => ({ ...n, ports: n.ports.map((p) => ({ ...p, mac: n.name === 'client' ? undefined : p.mac })) })) };
  const { initialSecurity } = await import('../security/model.js');
  t.same(await portMacs(host, noMac, initialSecurity(noMac)), {
    'keepalived01/eth0': 'fa:16:3e:c8:00:c1',
    'keepalived02/eth0': 'fa:16:3e:c8:00:c2',
    'client/eth0': '52:54:00:12:34:56',
  });
});

t.test("the observer: each port's state and its drops, and an event when a port changes", async (t) => {
  const cookie = (port: number, reason: Parameters<typeof dropCookie>[1]) => `0x${dropCookie(port, reason).toString(16)}`;
  const dump = [
    'NXST_FLOW reply (xid=0x4):',
    ` cookie=${cookie(1, 'arp-spoof')}, duration=3s, table=24, n_packets=12, n_bytes=504, priority=1,arp,in_port=2 actions=drop`,
    ` cookie=${cookie(2, 'ingress')}, duration=3s, table=81, n_packets=3, n_bytes=1, priority=40,reg5=2 actions=drop`,
    ` cookie=${cookie(2, 'ingress')}, duration=3s, table=82, n_packets=4, n_bytes=1, priority=40,reg5=2 actions=drop`,
    ' cookie=0x0, duration=3s, table=0, n_packets=99, n_bytes=1, priority=0 actions=NORMAL',
  ].join('\n');
  t.same(parseDropCounters(dump).get(2), { 'arp-spoof': 0, 'ip-spoof': 0, egress: 0, ingress: 7 });
  const host = fakeHost({ stdout: { 'dump-flows': dump } });
  const events: LabEvent[] = [];
  const facts = emptyFacts();
  const observer = securityObserver({ lab, host, facts, emit: (e) => events.push(e), since: () => 5 })!;
  await observer.poll();
  t.same(facts.security['keepalived01/eth0'].drops['arp-spoof'], 12);
  t.equal(facts.security['client/eth0'].summary, 'port security on, groups web');
  t.same(events, [], 'no event for the state a lab starts with');
  host.writeFile(
    securityFile(lab),
    JSON.stringify({
      groups: lab.securityGroups,
      ports: {
        'keepalived01/eth0': { enabled: true, groups: ['web'], pairs: [{ ip: '172.16.200.251' }] },
        'keepalived02/eth0': { enabled: false, groups: [], pairs: [] },
      },
    }),
  );
  await observer.poll();
  t.same(
    events.map((e) => e.type === 'security' && `${e.port}: ${e.state}`),
    ['keepalived01/eth0: port security on, groups web, allowed address pairs 172.16.200.251', 'keepalived02/eth0: port security off'],
  );
  t.notOk(facts.security['client/eth0'], 'a port the state no longer lists has no port security to show');
  const web = lab.securityGroups![0];
  const vrrp = { id: 'web-9', direction: 'ingress' as const, protocol: 112 };
  host.writeFile(securityFile(lab), JSON.stringify({ groups: [{ ...web, rules: [...web.rules.filter((r) => r.protocol !== 1), vrrp] }], ports: {} }));
  events.length = 0;
  await observer.poll();
  const changed = events.filter((e) => e.type === 'security-group');
  t.same(changed.map(eventText), ['security group web: + ingress vrrp, - ingress icmp'], 'a rule created and one deleted by hand are told');
  host.writeFile(securityFile(lab), 'not json');
  await observer.poll();
  t.equal(facts.security['client/eth0'].summary, 'port security on, groups web', "an unreadable file reads as the scenario's state");
});

t.test("port-update's admin_state_up: dropped at the switch and on the dead VLAN, journaled to come back", async (t) => {
  const { ctx, applied, host } = context();
  const port = lab.nodes.find((n) => n.name === 'keepalived01')!.ports[0];
  const step = (up: boolean) => ({
    kind: 'port-update',
    name: 'x',
    spec: { action: { port: 'keepalived01/eth0', adminStateUp: up }, waits: [], withinMs: 10 },
  });
  const down = await stepKindOf('port-update').run(step(false), ctx);
  t.match(down.detail, /neutron port-update keepalived01\/eth0 --admin-state-up False/);
  const state = () => JSON.parse(host.readFile(securityFile(lab))!);
  t.same(state().adminDown, ['keepalived01/eth0'], 'in the state');
  t.same(state().ports['keepalived01/eth0'], lab.nodes[0].ports[0].security ?? { enabled: false, groups: [], pairs: [] }, 'its security untouched');
  const flows = applied.find((op) => op.kind === 'write' && op.path.endsWith('br-int.flows'));
  t.match(flows, { content: new RegExp(`table=0,priority=100,in_port=${port.bridgePort},actions=drop`) }, 'what it sends is dropped');
  t.notMatch(
    (flows as { content: string }).content,
    new RegExp(`table=62,.*(output:${port.bridgePort}|load:${lab.nodes.flatMap((n) => n.ports).indexOf(port) + 1}->NXM_NX_REG5)`),
    'and it gets no multicast',
  );
  t.same(
    applied.at(-1),
    {
      kind: 'run',
      argv: ['ovs-vsctl', `--db=unix:${lab.switch.rundir}/db.sock`, 'set', 'port', port.bridgePort, 'tag=4095'],
      undo: {
        id: 'admin:keepalived01/eth0',
        what: 'keepalived01/eth0 admin state up again',
        argv: [
          'ovs-vsctl',
          `--db=unix:${lab.switch.rundir}/db.sock`,
          ...(port.vlan ? ['set', 'port', port.bridgePort, `tag=${port.vlan}`] : ['clear', 'port', port.bridgePort, 'tag']),
        ],
        member: lab.switch.namespace,
      },
    },
    'the dead VLAN, undone at teardown',
  );
  applied.length = 0;
  await stepKindOf('port-update').run(step(true), ctx);
  t.match(applied.at(-1), { kind: 'run', settles: 'admin:keepalived01/eth0' });
  t.equal(state().adminDown, undefined, 'up again');
  t.notMatch(
    applied.find((op) => op.kind === 'write' && op.path.endsWith('br-int.flows')),
    { content: /actions=drop\n.*priority=100,in_port/ },
  );
  t.throws(
    () =>
      labFromText(
        readFileSync(join(ROOT, 'scenarios', 'keepalived-vip.yaml'), 'utf8').replace(
          /kind: port-update\n(\s+)port: keepalived01\/eth0\n\s+allowed_address_pairs: .*\n/,
          'kind: port-update\n$1port: keepalived01/eth0\n',
        ),
      ),
    /say what changes: .*admin_state_up/,
  );
});
