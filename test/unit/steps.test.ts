// Step kinds against recorded state: each acts through the engine's apply (recorded here),
// waits on facts a fake observation changes, and judges with measured figures.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { TOOLS } from '../../src/engine/tools.js';
import { EXEC_PROGRAMS } from '../../src/steps/exec-grammar.js';
import type { Facts } from '../../src/kinds/facts.js';
import { opToShell } from '../../src/kinds/ops.js';
import type { Sample } from '../../src/sample.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { stepKindOf } from '../../src/steps/all.js';
import { fakeHost } from '../fake-host.js';
import { feed, harness } from '../step-harness.js';
import { labFromText, problemsOf, loadFixtureLab, ROOT } from '../helpers.js';
import { memberWait } from '../../src/waits/member.js';
import { haproxyFacts } from '../../src/services/haproxy/observe.js';
import { keepalivedFacts } from '../../src/services/keepalived/observe.js';
import { lineReporter } from '../../src/report/reporters.js';
import { watchIntervalMs } from '../../src/steps/pings.js';

const pair = resolveLab(loadScenarioFile(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml')), { stateRoot: '/run/lablb' });

/** keepalived's facts on these nodes: VR_1 in each `node: state`. */
const vrrp = (facts: Facts, states: Record<string, string>) => {
  for (const [node, state] of Object.entries(states)) keepalivedFacts(facts, { node, name: 'vrrp' }).VR_1 = state;
};
/** haproxy's facts: member vm2 of qlbaas-01/lb. */
const vm2 = (facts: Facts, status: string) => {
  haproxyFacts(facts, { node: 'qlbaas-01', name: 'lb' })['944ff4a0-4070-40e4-8189-20f385755113'] = { node: 'vm2', status, sessions: 0, checkStatus: 'L4CON' };
};

t.test('link-down: the change with its undo, then every wait timed, and the outage the probe saw', async (t) => {
  const step = pair.experiment!.steps.find((s) => s.name === 'master-link-down-failover')!;
  const now = Date.now();
  // Probes: 2 good, 5 lost during the failover, then good again from lb2.
  const samples: Sample[] = Array.from({ length: 20 }, (_, i) => ({
    seq: i,
    t: now + 50 + i * 20,
    ok: i < 2 || i >= 7,
    ms: 2,
    body: i < 2 ? 'lb1' : 'lb2',
    ...(i >= 2 && i < 7 ? { error: 'timeout after 200 ms' } : {}),
  }));
  const h = harness(
    pair,
    (n, facts) => {
      vrrp(facts, { lb1: 'FAULT', lb2: n >= 3 ? 'MASTER' : 'BACKUP' });
      facts.addresses = { lb1: [], lb2: n >= 3 ? [{ dev: 'eth0', address: '10.1.0.100/24' }] : [], client: [] };
    },
    samples,
  );
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.same(h.applied, [
    {
      kind: 'run',
      argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'down'],
      undo: { id: 'link:lb1/eth0', what: 'lb1/eth0 up again', argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'up'], member: 'lb1' },
    },
  ]);
  t.same(h.polls[0].sort(), ['addresses', 'keepalived'], 'it polls the observers its waits read');
  t.ok(check.ok, String(check.detail));
  t.match(
    check.detail,
    /^lb2\/vrrp VR_1 MASTER after \d+ ms \(\d+% of its bound 3648 ms, VRRPv2 master-down: 3 x advert_int 1 s \+ \(256 - 90\) \/ 256 s\); 10\.1\.0\.100 held by lb2 only after \d+ ms \(\d+% of its bound 3648 ms, VRRPv2 master-down: 3 x advert_int 1 s \+ \(256 - 90\) \/ 256 s\); vip had 5 successes in a row after \d+ ms; 5 of 20 requests failed meanwhile \(timeout after 200 ms x5\); then 10\/10 ok, all from lb2/,
  );
  t.same(Object.keys(check), [
    'name',
    'ok',
    'detail',
    'master_ms',
    'master_bound_ms',
    'address_ms',
    'address_bound_ms',
    'vip_flowing_ms',
    'failed_requests',
    'requests',
    'outage_ms',
    'outages',
    'then_p50_ms',
  ]);
  t.equal(check.outage_ms, 100, 'first failed send to the first good one');
  t.equal(check.outages, 1);
  t.equal(check.failed_requests, 5);
});

t.test('a wait step times what came before it: no bound applies', async (t) => {
  const lab = labFromText(readPair());
  const step = lab.experiment!.steps.find((s) => s.kind === 'wait' && s.name === 'one-master');
  t.ok(step, 'the pair has a one-master wait');
  const h = harness(lab, (_n, facts) => {
    vrrp(facts, { lb1: 'MASTER', lb2: 'BACKUP' });
    facts.addresses = { lb1: [{ dev: 'eth0', address: '10.1.0.100/24' }], lb2: [], client: [] };
  });
  const check = await stepKindOf(step!.kind).run(step!, h.ctx);
  t.ok(check.ok, String(check.detail));
  t.notOk(
    Object.keys(check).some((k) => k.endsWith('_bound_ms')),
    'no bound figure',
  );
  t.notMatch(check.detail, /bound/);
});

t.test('a wait not met in time fails the step and says what it saw', async (t) => {
  const lab = labFromText(`${readPair()}`.replace('within_ms: 10000     # fails', 'within_ms: 60     # fails'));
  const step = lab.experiment!.steps.find((s) => s.name === 'master-link-down-failover')!;
  const h = harness(lab, (_n, facts) => {
    vrrp(facts, { lb1: 'MASTER', lb2: 'BACKUP' });
    facts.addresses = { lb1: [{ dev: 'eth0', address: '10.1.0.100/24' }], lb2: [{ dev: 'eth0', address: '10.1.0.100/24' }] };
  });
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.notOk(check.ok);
  t.match(check.detail, /lb2\/vrrp VR_1 MASTER: not within 60 ms \(now BACKUP\); 10\.1\.0\.100 held by lb2 only: not within 60 ms \(now held by lb1, lb2\)/);
  t.type(check.master_ms, 'number', 'the time it waited is still a figure');
});

function readPair(): string {
  return readFileSync(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml'), 'utf8');
}

t.test('stop-service: a stop op for exactly its token; watch is a member wait timed as detect_ms', async (t) => {
  const lab = loadFixtureLab();
  const step = lab.experiment!.steps.find((s) => s.name === 'kill-vm2-web')!;
  const h = harness(lab, (n, facts) => {
    vm2(facts, n >= 2 ? 'DOWN' : 'UP 1/3');
  });
  h.ctx.probe = () => undefined; // no probe: no traffic figures
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.same(h.applied, [{ kind: 'stop', token: 'floating-ip-lb/vm2/web', graceMs: 3000, what: 'vm2/web' }]);
  t.ok(check.ok);
  t.match(check.detail, /^haproxy saw vm2 on qlbaas-01\/lb DOWN after \d+ ms \(\d+% of its bound 8000 ms, haproxy: fall 3 x inter 1 s \+ timeout check 5 s\)$/);
  t.type(check.detect_ms, 'number');
  t.equal(check.detect_bound_ms, 8000, "the health monitor's delay 1 s x max_retries 3, plus its timeout 5 s");
});

t.test('start-service starts it as up did; signal-service sends the signal named', async (t) => {
  const lab = labFromText(
    readFixture()
      .replace('kind: start-service', 'kind: start-service')
      .replace(
        /    - name: lb-egress-snat/,
        `    - { name: reload, kind: signal-service, service: qlbaas-01/lb, signal: SIGHUP }
    - name: lb-egress-snat`,
      ),
  );
  const start = lab.experiment!.steps.find((s) => s.name === 'restart-vm2-web')!;
  const h = harness(lab, (_n, facts) => {
    vm2(facts, 'UP');
  });
  h.ctx.probe = () => undefined;
  await stepKindOf(start.kind).run(start, h.ctx);
  t.match(h.applied[0], { kind: 'daemon', creates: [{ kind: 'process', token: 'floating-ip-lb/vm2/web' }] });
  const reload = lab.experiment!.steps.find((s) => s.name === 'reload')!;
  const h2 = harness(lab, () => {});
  const check = await stepKindOf(reload.kind).run(reload, h2.ctx);
  t.same(h2.applied, [{ kind: 'signal', token: 'floating-ip-lb/qlbaas-01/lb', signal: 'SIGHUP', what: 'qlbaas-01/lb' }]);
  t.match(check.detail, /^SIGHUP sent to qlbaas-01\/lb \(\d+ ms\)/);
});

function readFixture(): string {
  return readFileSync(join(ROOT, 'scenarios', 'floating-ip-lb.yaml'), 'utf8');
}

const withSteps = (steps: string) =>
  `${readFixture().split('\nexperiment:')[0]}\nexperiment:\n  probe: { from: ext, url: "http://10.255.253.100/" }\n  steps:\n${steps}`;

t.test('exec runs only programs that stay inside the node, without a shell', async (t) => {
  t.same(problemsOf(withSteps('    - { name: x, kind: exec, node: vm1, command: [sh, -c, "rm -rf /"] }')), [
    'experiment.steps[0].command[0]: "sh" is not allowed here; exec runs one of ping, arping, ip, iptables, iptables-save, conntrack',
  ]);
  t.match(problemsOf(withSteps('    - { name: x, kind: exec, node: vm1, command: [ip, link, set, eth0, netns, "1"] }')), [
    /^experiment\.steps\[0\]\.command\[4\]: "netns" is not one of up, down; ip here takes /,
  ]);
  const lab = labFromText(withSteps('    - { name: gw, kind: exec, node: vm1, command: [ping, -c, "1", 10.0.0.1], expect_output: "1 received" }'));
  const step = lab.experiment!.steps[0];
  const h = harness(lab, () => {});
  const host = fakeHost({ stdout: { 'ip netns exec vm1 ping -c 1 10.0.0.1': '1 packets transmitted, 1 received, 0% packet loss' } });
  h.ctx.host = host;
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.ok(check.ok, String(check.detail));
  t.equal(host.log[0], 'run ip netns exec vm1 ping -c 1 10.0.0.1');
  t.same(host.unusedRules(), [], 'the answer came from the command the step ran');
  // The same step where ping does not answer, and where the host has no ping at all.
  const silent = fakeHost({ stdout: { 'ping -c 1 10.0.0.1': '1 packets transmitted, 0 received, 100% packet loss' } });
  h.ctx.host = silent;
  t.notOk((await stepKindOf(step.kind).run(step, h.ctx)).ok, 'no "1 received": the check fails');
  // Every program an exec step may run is a tool doctor and preflight know.
  for (const program of Object.keys(EXEC_PROGRAMS))
    t.ok(
      TOOLS.some((tool) => tool.command === program),
      `${program} is in the tool table`,
    );
});

t.test('steps name what they act on, and a wrong name is a clear error', async (t) => {
  t.same(
    problemsOf(
      withSteps(`    - name: x
      kind: link-down
      port: vm1/eth9
      until: [{ vrrp: vm1/web/VR_1, state: MASTER }, { address: 10.0.0.81, held_by: [vm7] }, { probe: nope, successes: 3 }]`),
    ),
    [
      'experiment.steps[0].port: no port on vm1 named "eth9"; did you mean "eth0"?',
      'experiment.steps[0].until[0].vrrp: vm1/web runs no VRRP instances',
      'experiment.steps[0].until[1].held_by[0]: no node named "vm7"; did you mean "vm1"?',
      'experiment.steps[0].until[2].probe: no probe named "nope"; known: http',
    ],
  );
  t.same(problemsOf(withSteps('    - { name: s, kind: sleep, ms: 10 }\n    - { name: s, kind: sleep, ms: 10 }')), [
    'experiment.steps[1].name: step s is defined twice',
  ]);
});

t.test('sleep and wait', async (t) => {
  const lab = labFromText(withSteps('    - { name: nap, kind: sleep, ms: 20 }\n    - { name: nothing, kind: wait }'));
  const h = harness(lab, () => {});
  h.ctx.probe = () => undefined;
  const nap = await stepKindOf('sleep').run(lab.experiment!.steps[0], h.ctx);
  t.same(nap, { name: 'nap', ok: true, detail: 'slept 20 ms', ms: 20 });
  const nothing = await stepKindOf('wait').run(lab.experiment!.steps[1], h.ctx);
  t.match(nothing.detail, /^nothing to wait for \(\d+ ms\)$/);
});

t.test('disconnect moves ports to a VLAN no network uses, journaling how to put them back; reconnect settles', async (t) => {
  const l3 = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha.yaml')), { stateRoot: '/run/lablb' });
  const cut = l3.experiment!.steps.find((s) => s.name === 'ha-network-split-brain')!;
  const heal = l3.experiment!.steps.find((s) => s.name === 'ha-network-healed')!;
  const h = harness(l3, (_n, facts) => {
    vrrp(facts, { 'qrouter-net1': 'MASTER', 'qrouter-net2': 'MASTER' });
    facts.addresses = { 'qrouter-net1': [{ dev: 'qg-n1', address: '10.255.253.100/32' }], 'qrouter-net2': [{ dev: 'qg-n2', address: '10.255.253.100/32' }] };
  });
  h.ctx.probe = () => undefined;
  await stepKindOf(cut.kind).run(cut, h.ctx);
  t.same(h.applied, [
    {
      kind: 'run',
      argv: ['ovs-vsctl', '--db=unix:/run/lablb/l3-ha/ovs/db.sock', 'set', 'port', 'ha-n1', 'tag=4094'],
      undo: {
        id: 'cut:qrouter-net1/ha-n1',
        what: 'qrouter-net1/ha-n1 back on ha-net',
        argv: ['ovs-vsctl', '--db=unix:/run/lablb/l3-ha/ovs/db.sock', 'set', 'port', 'ha-n1', 'tag=2'],
        member: 'lablb-l3-ha',
      },
    },
  ]);
  const h2 = harness(l3, (_n, facts) => {
    vrrp(facts, { 'qrouter-net1': 'BACKUP', 'qrouter-net2': 'MASTER' });
    facts.addresses = {
      'qrouter-net1': [],
      'qrouter-net2': [
        { dev: 'qg-n2', address: '10.255.253.100/32' },
        { dev: 'qr-n2', address: '10.0.0.1/24' },
      ],
    };
  });
  h2.ctx.probe = () => undefined;
  const check = await stepKindOf(heal.kind).run(heal, h2.ctx);
  t.match(h2.applied[0], { argv: ['ovs-vsctl', '--db=unix:/run/lablb/l3-ha/ovs/db.sock', 'set', 'port', 'ha-n1', 'tag=2'], settles: 'cut:qrouter-net1/ha-n1' });
  t.match(
    check.detail,
    /^qrouter-net1\/vrrp VR_1 BACKUP after \d+ ms; 10\.255\.253\.100 held by qrouter-net2 only after \d+ ms \(\d+% of its bound 6805 ms, VRRPv2 master-down: 3 x advert_int 2 s \+ \(256 - 50\) \/ 256 s\); 10\.0\.0\.1 held by qrouter-net2 only after \d+ ms \(\d+% of its bound 6805 ms/,
    'the winner is named',
  );
});

t.test('a member wait names a member by its id when the scenario did (several members on one node)', async (t) => {
  t.equal(
    memberWait.describe({ loadbalancer: 'qlbaas-v2/lb', kind: 'haproxy', node: 'v2-web2-80', member: 'v2-web2-80', state: 'DOWN' }),
    'haproxy saw member v2-web2-80 on qlbaas-v2/lb DOWN',
  );
  t.equal(
    memberWait.describe({ loadbalancer: 'qlbaas-01/lb', kind: 'haproxy', node: 'vm2', member: '944ff4a0-4070-40e4-8189-20f385755113', state: 'UP' }),
    'haproxy saw vm2 on qlbaas-01/lb UP',
  );
});

t.test('add-node and remove-node: the node block held to the same rules, against the lab as it is at that step', async (t) => {
  const vm3 = (port: string, extra = '') => `    - { name: add, kind: add-node, node: { name: vm3, role: vm, ports: [${port}]${extra} } }\n`;
  const port = '{ name: eth0, network: tenant1-net, address: 10.0.0.83, bridge_port: tapvm3 }';
  t.same(
    problemsOf(withSteps(vm3(port) + '    - { name: get, kind: http-get, from: vm3, url: "http://10.0.0.81/", expect_body: server_81 }\n')),
    [],
    'later steps see the node',
  );
  t.same(
    problemsOf(withSteps('    - { name: get, kind: http-get, from: vm3, url: "http://10.0.0.81/", expect_body: server_81 }\n' + vm3(port))),
    ['experiment.steps[0].from: no node named "vm3"; did you mean "vm1"?'],
    'earlier steps do not',
  );
  t.same(problemsOf(withSteps(vm3('{ name: eth0, network: tenant1-net, address: 10.0.0.82, bridge_port: tapvm3 }'))), [
    'experiment.steps[0].node.ports[0].address: 10.0.0.82 is already used on tenant1-net by vm2/eth0',
  ]);
  t.same(problemsOf(withSteps(vm3('{ name: eth0, network: tenant1-net, address: 10.0.0.83, bridge_port: tapvm1 }'))), [
    'experiment.steps[0].node.ports[0].bridge_port: bridge port tapvm1 is already used by vm1/eth0',
  ]);
  t.same(
    problemsOf(withSteps(vm3('{ name: eth0, netwrok: tenant1-net, address: 10.0.0.83, bridge_port: tapvm3 }'))),
    [
      'experiment.steps[0].node.ports[0].network: missing required field',
      'experiment.steps[0].node.ports[0].netwrok: unknown field "netwrok"; did you mean "network"?',
    ],
    'a typo is told as under nodes:',
  );
  t.same(problemsOf(withSteps(vm3(port, ', runtime: docker'))), [
    'experiment.steps[0].node.runtime: a node added at run time is a namespace for now (runtime: netns), not runtime: docker',
  ]);
  t.same(problemsOf(withSteps(vm3(port.replace('10.0.0.83', '10.0.0.81'), '').replace('name: vm3', 'name: vm1'))).slice(0, 1), [
    'experiment.steps[0].node.name: node vm1 already exists at this step',
  ]);
  // Removing frees its address for a replacement, and later steps no longer see it.
  const replace = '    - { name: rm, kind: remove-node, node: vm2 }\n' + vm3('{ name: eth0, network: tenant1-net, address: 10.0.0.82, bridge_port: tapvm2 }');
  t.same(problemsOf(withSteps(replace)), [], "a replacement takes the removed node's address and bridge port");
  t.same(problemsOf(withSteps('    - { name: rm, kind: remove-node, node: vm2 }\n    - { name: rm2, kind: remove-node, node: vm2 }\n')), [
    'experiment.steps[1].node: no node named "vm2"; did you mean "vm1"?',
  ]);
  t.same(problemsOf(withSteps('    - { name: rm, kind: remove-node, node: ext }\n')), ['experiment.steps[0].node: probe http runs in ext for the whole run']);
  const lbOnRemoved = `    - { name: rm, kind: remove-node, node: vm2 }
    - name: add-lb
      kind: add-node
      node:
        name: qlbaas-02
        role: loadbalancer
        ports: [{ name: tap05, network: tenant1-net, address: 10.0.0.101, type: internal }]
        services:
          - { name: lb, kind: haproxy, listener: { id: l2, address: 10.0.0.101, protocol_port: 80 }, pool: { id: p2, health_monitor: { delay: 1, timeout: 5, max_retries: 3 }, members: [{ id: m2, node: vm2, address: 10.0.0.82, protocol_port: 80 }] } }
`;
  t.same(
    problemsOf(withSteps(lbOnRemoved)),
    ['experiment.steps[1].node.services[0].pool.members[0].node: no node named "vm2"; did you mean "vm1"?'],
    'a node added later cannot name one removed before it',
  );
});

t.test('add-node joins through the engine: namespace journaled first, ports on the switch, services; remove-node takes it out', async (t) => {
  const lab = labFromText(
    withSteps(`    - { name: add, kind: add-node, node: { name: vm3, role: vm, ports: [{ name: eth0, network: tenant1-net, address: 10.0.0.83, bridge_port: tapvm3 }], services: [{ name: web, kind: http-text, listen: 10.0.0.83:80, text: server_83 }] } }
    - { name: rm, kind: remove-node, node: vm3 }\n`),
  );
  const [add, rm] = lab.experiment!.steps;
  t.same(
    lab.nodes.map((n) => n.name),
    ['vm1', 'vm2', 'qlbaas-01', 'qrouter01', 'ext'],
    "the build makes the file's nodes only",
  );
  const h = harness(lab, () => {});
  const added = await stepKindOf(add.kind).run(add, h.ctx);
  t.ok(added.ok, String(added.detail));
  t.ok(
    lab.nodes.some((n) => n.name === 'vm3'),
    'the lab has it now: observers and the screen see it',
  );
  const lines = h.applied.map((op) => opToShell(op));
  t.match(lines[1], /^ip -batch - <<'EOF'\nnetns add vm3\nEOF$/);
  t.same((h.applied[1] as { creates?: unknown[] }).creates, [{ kind: 'netns', name: 'vm3' }], 'journaled before it exists');
  t.ok(
    lines.some((l) => /add-port br-int tapvm3 tag=1/.test(l)),
    'its port on the switch',
  );
  t.ok(
    lines.some((l) => /LABLB_TOKEN=floating-ip-lb\/vm3\/web ip netns exec vm3 .*http-responder/.test(l)),
    'its service, with its token',
  );
  const removed = await stepKindOf(rm.kind).run(rm, h.ctx);
  t.ok(removed.ok);
  t.notOk(
    lab.nodes.some((n) => n.name === 'vm3'),
    'gone from the lab',
  );
  t.same(
    h.applied.slice(-4).map((op) => opToShell(op)),
    [
      '# stop the processes of vm3: the processes whose environment has LABLB_TOKEN=floating-ip-lb/vm3/',
      'ovs-vsctl --db=unix:/run/lablb/floating-ip-lb/ovs/db.sock --if-exists del-port br-int tapvm3',
      'ip -n lablb-floating-ip-lb link del tapvm3',
      'ip netns del vm3',
    ],
    'processes first, then off the switch, then its namespace',
  );
});

t.test('member-create and member-delete: the pool as it is at each step, haproxy reloaded with -sf', async (t) => {
  const add3 = `    - { name: add, kind: add-node, node: { name: vm3, role: vm, ports: [{ name: eth0, network: tenant1-net, address: 10.0.0.83, bridge_port: tapvm3 }] } }\n`;
  const join3 = (extra = '') =>
    `    - { name: join, kind: member-create, loadbalancer: qlbaas-01/lb, member: { id: m3, node: vm3, address: 10.0.0.83, protocol_port: 80${extra} } }\n`;
  const waitUp = (node: string) => `    - { name: w-${node}, kind: wait, until: [{ member: { loadbalancer: qlbaas-01/lb, node: ${node} }, state: UP }] }\n`;
  t.same(problemsOf(withSteps(add3 + join3() + waitUp('vm3'))), [], 'a wait after it sees the new member');
  t.same(
    problemsOf(withSteps(add3 + waitUp('vm3') + join3())),
    ['experiment.steps[1].until[0].member.node: qlbaas-01/lb has no member on node "vm3"; did you mean "vm1"?'],
    'one before it does not',
  );
  t.same(problemsOf(withSteps(join3())), ['experiment.steps[0].member.node: no node named "vm3" at this step; known: vm1, vm2, qlbaas-01, qrouter01, ext']);
  t.same(problemsOf(withSteps(add3 + join3(', wieght: 2'))), ['experiment.steps[1].member.wieght: unknown field "wieght"; did you mean "weight"?']);
  t.same(
    problemsOf(withSteps(add3 + join3() + join3().replace('name: join', 'name: again'))),
    ['experiment.steps[2].member.id: member m3 is already in the load balancer'],
    'twice is refused',
  );
  t.same(problemsOf(withSteps('    - { name: del, kind: member-delete, loadbalancer: qlbaas-01/lb, member: vm2 }\n' + waitUp('vm2'))), [
    'experiment.steps[1].until[0].member.node: qlbaas-01/lb has no member on node "vm2"; did you mean "vm1"?',
  ]);
  t.same(problemsOf(withSteps('    - { name: del, kind: member-delete, loadbalancer: qlbaas-01/lb, member: vm9 }\n')), [
    'experiment.steps[0].member: 3b9d8ebd-9eea-4925-b14e-593a6111ff33 has no member "vm9"; its members: vm1, vm2',
  ]);
  t.same(problemsOf(withSteps('    - { name: del, kind: member-delete, loadbalancer: ext/whoami, member: vm2 }\n')), [
    'experiment.steps[0].loadbalancer: ext/whoami is not a load balancer whose pools change at run time',
  ]);

  const lab = labFromText(withSteps(add3 + join3() + '    - { name: del, kind: member-delete, loadbalancer: qlbaas-01/lb, member: vm2 }\n'));
  const members = () =>
    (
      lab.nodes.find((n) => n.name === 'qlbaas-01')!.services[0].spec as { frontends: { pool: { members: { node: string }[] } }[] }
    ).frontends[0].pool.members.map((m) => m.node);
  t.same(members(), ['vm1', 'vm2'], 'the build starts the pool as the file wrote it');
  const h = harness(lab, () => {});
  const host = fakeHost();
  host.writeFile('/run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.pid', '4242\n');
  h.ctx.host = host;
  for (const step of lab.experiment!.steps) t.ok((await stepKindOf(step.kind).run(step, h.ctx)).ok, step.name);
  t.same(members(), ['vm1', 'vm3'], 'the running lab follows each change: observers and the screen see it');
  const reloads = h.applied.filter((op) => op.kind === 'run' && op.argv.includes('haproxy')).map((op) => opToShell(op));
  t.equal(reloads.length, 2);
  t.match(
    reloads[0],
    /ip netns exec qlbaas-01 haproxy -f \S+haproxy\.conf -p \S+lb\.pid -sf 4242$/,
    "the old haproxy hands over, as Neutron's driver reloads it",
  );
  const configs = h.applied.filter((op) => op.kind === 'write' && op.path.endsWith('haproxy.conf')).map((op) => (op as { content: string }).content);
  t.match(configs[0], /server m3 10\.0\.0\.83:80 weight 1 check/);
  t.notMatch(configs[1], /10\.0\.0\.82/, 'vm2 is out of the second config');
});

t.test('a namespace somebody else has is never taken by add-node: refused at preflight, and checked again when the step runs', async (t) => {
  const { preflight } = await import('../../src/engine/preflight.js');
  const lab = labFromText(
    withSteps(
      `    - { name: add, kind: add-node, node: { name: vm3, role: vm, ports: [{ name: eth0, network: tenant1-net, address: 10.0.0.83, bridge_port: tapvm3 }] } }\n`,
    ),
  );
  const host = fakeHost();
  host.netns.add('vm3');
  t.throws(() => preflight(host, lab, 'netdev'), { message: /^namespace vm3 already exists and is not part of lab floating-ip-lb; lablb leaves it alone$/ });
  const h = harness(lab, () => {});
  h.ctx.host = host;
  const step = lab.experiment!.steps[0];
  await t.rejects(stepKindOf(step.kind).run(step, h.ctx), {
    message: /namespace vm3 already exists and is not part of lab floating-ip-lb; vm3 is left alone/,
  });
  t.same(h.applied, [], 'nothing applied, so nothing of it journaled');
});

t.test("floating-ips-answer: one ping per router's floating IP from xargs in the node; the silent are named, and tried twice", async (t) => {
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'scale-routers.yaml'), new Map([['routers', 3]])), { stateRoot: '/run/lablb' });
  const step = lab.experiment!.steps[0];
  const h = harness(lab, () => {});
  const summary = (ip: string, got: number) =>
    `--- ${ip} ping statistics ---\n1 packets transmitted, ${got} received, ${got ? 0 : 100}% packet loss, time 0ms\n`;
  const answers = summary('172.24.10.3', 1) + summary('172.24.10.4', 0) + summary('172.24.10.5', 1);
  const host = fakeHost({ stdout: { 'nsenter --net=/run/netns/ext xargs -P 8 -n 1 ping -c 1 -W 2 -q': answers } });
  host.files.set('/proc/sys/net/ipv4/neigh/default/gc_thresh3', '8\n');
  // The kernel's counters, one row per CPU: the table is full 3 times while the pings run.
  const stats = (fulls: number) => `entries  allocs table_fulls\n00000010 00000020 ${fulls.toString(16).padStart(8, '0')}\n00000000 00000001 00000001\n`;
  host.files.set('/proc/net/stat/arp_cache', stats(1));
  const run = host.run.bind(host);
  host.run = async (argv, opts) => {
    host.files.set('/proc/net/stat/arp_cache', stats(4));
    return run(argv, opts);
  };
  h.ctx.host = host;
  // within_ms 0: the silent are tried once more, and no longer.
  const once = { ...step, spec: { ...(step.spec as object), withinMs: 0 } };
  const check = await stepKindOf(step.kind).run(once, h.ctx);
  t.notOk(check.ok);
  t.equal(check.answered, 2);
  t.equal(check.silent, 1);
  t.match(
    String(check.detail),
    /^2 of 3 floating IPs answered a ping from ext in \d+ ms; silent: 172\.24\.10\.4; the host's ARP table, one for all namespaces, was full 3 times meanwhile \(net\.ipv4\.neigh\.default\.gc_thresh3 = 8\)/,
  );
  t.match(String(check.detail), /sudo sysctl -w net\.ipv4\.neigh\.default\.gc_thresh2=32 net\.ipv4\.neigh\.default\.gc_thresh3=64 \(and back afterwards\)/);
  t.same(
    host.log.filter((l) => l.startsWith('run ')),
    [
      'run nsenter --net=/run/netns/ext xargs -P 8 -n 1 ping -c 1 -W 2 -q <<3 lines',
      'run nsenter --net=/run/netns/ext xargs -P 8 -n 1 ping -c 1 -W 2 -q <<1 lines',
    ],
    'all three, then the silent one again',
  );
  const all = fakeHost({ stdout: { 'xargs -P 8': summary('172.24.10.3', 1) + summary('172.24.10.4', 1) + summary('172.24.10.5', 1) } });
  h.ctx.host = all;
  const passed = await stepKindOf(step.kind).run(step, h.ctx);
  t.ok(passed.ok, String(passed.detail));
  t.equal(all.log.filter((l) => l.startsWith('run ')).length, 1, 'nobody to try again');
  // Tried again until within_ms: a router electing its MASTER answers at the third try.
  let calls = 0;
  const late = fakeHost();
  late.run = async () => {
    calls++;
    return { stdout: summary('172.24.10.3', 1) + summary('172.24.10.4', calls >= 3 ? 1 : 0) + summary('172.24.10.5', 1), stderr: '', exitCode: 0 };
  };
  h.ctx.host = late;
  const patient = await stepKindOf(step.kind).run({ ...step, spec: { ...(step.spec as object), withinMs: 2000 } }, h.ctx);
  t.ok(patient.ok, String(patient.detail));
  t.equal(calls, 3);
});

t.test('agent-down: SIGKILL to the nodes named like the pattern, their links down, and each VRRP group timed until a survivor is MASTER', async (t) => {
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'scale-l3-ha.yaml'), new Map([['routers', 3]])), { stateRoot: '/run/lablb' });
  const step = lab.experiment!.steps[1];
  t.equal(step.kind, 'agent-down');
  const vrrp = (node: string) => lab.nodes.find((n) => n.name === node)!.services.find((s) => s.kind === 'keepalived')!;
  // Routers 1 and 2 fail over at the second poll; router 3's node 2 stays BACKUP.
  const h = harness(lab, (n, facts) => {
    for (const i of [1, 2, 3]) keepalivedFacts(facts, vrrp(`qrouter-${i}-n2`))[`VR_${i}`] = n >= 2 && i < 3 ? 'MASTER' : 'BACKUP';
  });
  const quick = { ...step, spec: { ...(step.spec as object), withinMs: 400 } };
  const check = await stepKindOf(step.kind).run(quick, h.ctx);
  t.notOk(check.ok, 'router 3 has no MASTER');
  t.equal(check.groups, 3);
  t.equal(check.took_over, 2);
  t.equal(check.no_master, 1);
  t.equal(check.two_masters, 0);
  t.match(
    String(check.detail),
    /^3 nodes killed in \d+ ms; 2 of 3 VRRP groups took over elsewhere: p50 \d+ ms, p95 \d+ ms, max \d+ ms; 1 with no MASTER \(ha-net\/VR_3\), 0 with two$/,
  );
  const host = h.ctx.host as ReturnType<typeof fakeHost>;
  t.same(
    host.log.filter((l) => l.startsWith('kill')),
    ['kill -SIGKILL scale-l3-ha/qrouter-1-n1/', 'kill -SIGKILL scale-l3-ha/qrouter-2-n1/', 'kill -SIGKILL scale-l3-ha/qrouter-3-n1/'],
    'only node 1 of each router',
  );
  t.same(
    h.applied.map((op) => opToShell(op).split('\n')[0]),
    ["ip -n qrouter-1-n1 -batch - <<'EOF'", "ip -n qrouter-2-n1 -batch - <<'EOF'", "ip -n qrouter-3-n1 -batch - <<'EOF'"],
  );
  t.match(opToShell(h.applied[0]), /link set ha-1-1 down\nlink set qr-1-1 down\nlink set qg-1-1 down/);
  // Everybody takes over: it passes.
  const all = harness(lab, (_n, facts) => {
    for (const i of [1, 2, 3]) keepalivedFacts(facts, vrrp(`qrouter-${i}-n2`))[`VR_${i}`] = 'MASTER';
  });
  const passed = await stepKindOf(step.kind).run(quick, all.ctx);
  t.ok(passed.ok, String(passed.detail));
  t.match(problemsOf(withSteps('    - { name: x, kind: agent-down, nodes: "qrouter-*-n9" }')), [
    /^experiment\.steps\[0\]\.nodes: no node of the lab is named like "qrouter-\*-n9"$/,
  ]);
});

t.test("agent-down of a host: the HA routers' floating IPs timed, DVR's watched for loss; the run's outage table", async (t) => {
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'network-node-dies.yaml'), new Map([['routers', 2]])), { stateRoot: '/run/lablb' });
  const step = lab.experiment!.steps[1];
  t.equal(step.kind, 'agent-down');
  const vrrp = (node: string) => lab.nodes.find((n) => n.name === node)!.services.find((s) => s.kind === 'keepalived')!;
  const runs: string[][] = [];
  const host = fakeHost();
  host.run = async (argv, opts) => {
    runs.push([...argv, '<<', ...(opts?.input?.split('\n') ?? [])]);
    const now = (Date.now() / 1000).toFixed(6);
    // The HA routers' floating IPs answer their first round; DVR's second misses 3 of 75.
    if (argv.includes('-D'))
      return {
        stdout: (opts?.input ?? '')
          .split('\n')
          .map((ip) => `[${now}] 64 bytes from ${ip}: icmp_seq=1 ttl=63 time=0.5 ms`)
          .join('\n'),
        stderr: '',
        exitCode: 0,
      };
    if (argv.includes('-q'))
      return {
        stdout: (opts?.input ?? '')
          .split('\n')
          .map((ip, i) => `--- ${ip} ping statistics ---\n75 packets transmitted, ${i === 0 ? 75 : 72} received, 4% packet loss\n`)
          .join(''),
        stderr: '',
        exitCode: 0,
      };
    return { stdout: '', stderr: '', exitCode: 0 };
  };
  const h = harness(
    lab,
    (_n, facts) => {
      for (const i of [1, 2]) keepalivedFacts(facts, vrrp(`qrouter-h${i}-n2`))[`VR_${i}`] = 'MASTER';
    },
    [],
    host,
  );
  // The sessions probe: both HA sessions stall, one comes back 2 s on, the other is reset; the
  // DVR routers' never stall.
  const t0 = Date.now();
  const sessionSamples: Sample[] = [
    { seq: 1, t: t0 - 500, ok: true, ms: 10 },
    { seq: 2, t: t0 + 1000, ok: false, ms: 1600, quiet: ['172.24.4.2', '172.24.4.3'], dead: [] },
    { seq: 3, t: t0 + 2000, ok: false, ms: 0, quiet: [], dead: ['172.24.4.3'] },
  ];
  h.ctx.probe = (name) => (name === 'sessions' ? feed(sessionSamples, name) : undefined);
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.ok(check.ok, String(check.detail));
  t.equal(check.sessions, 2);
  t.equal(check.sessions_lost, 1, 'the reset one is lost');
  t.ok(Math.abs(Number(check.session_back_p50_ms) - 2000) < 500, `the other flowed again about 2 s after the kill (${check.session_back_p50_ms} ms)`);
  t.same([check.sessions_elsewhere, check.sessions_elsewhere_lost, check.sessions_elsewhere_unaffected], [2, 0, 2]);
  const timed = runs.find((r) => r.includes('-D'))!;
  t.same(timed.slice(timed.indexOf('<<') + 1), ['172.24.4.2', '172.24.4.3'], "the HA routers' floating IPs are timed");
  const watched = runs.find((r) => r.includes('-q'))!;
  t.same(watched.slice(watched.indexOf('<<') + 1), ['172.24.6.2', '172.24.6.3'], "the DVR routers' are watched; the legacy ones' are the reschedule's");
  t.ok(watched.includes('75'), '5 a second for 15 s');
  t.equal(check.fips_elsewhere, 2);
  t.equal(check.fips_elsewhere_unaffected, 1);
  t.equal(check.fips_elsewhere_lost, 3);
  t.match(String(check.detail), /; 1 of 2 floating IPs elsewhere never missed a reply \(75 pings each, 200 ms apart; 3 lost\)$/);
  t.same(
    check.answers!.map((r) => [r.answer, r.answered, r.of, r.max_ms, r.two_masters, r.no_master]),
    [
      ['L3 HA (keepalived)', 2, 2, check.fip_max_ms, 0, 0],
      ['elsewhere (DVR): never affected', 1, 2, 600, undefined, undefined],
    ],
  );
  const lines: string[] = [];
  const reporter = lineReporter((l) => lines.push(l), false);
  reporter.event({ type: 'summary', scenario: 'network-node-dies', lab: 'network-node-dies', ok: true, checks: [check] });
  t.same(lines.slice(0, 3), [
    "  each answer, from the failure to its floating IPs' first answer:",
    '    | answer | answered | p50 ms | p95 ms | max ms | two masters / none | sessions lost | sessions back p50 ms | max ms | note |',
    '    |---|---|---|---|---|---|---|---|---|---|',
  ]);
  t.match(lines[3], /^ {4}\| L3 HA \(keepalived\) \| 2\/2 \| \d+ \| \d+ \| \d+ \| 0 \/ 0 \| 1\/2 \| \d+ \| \d+ \| VRRP takeover p50 \d+ ms \|$/);
  t.equal(
    lines[4],
    '    | elsewhere (DVR): never affected | 1/2 | 600 | 600 | 600 | - | 0/2 | 0 | 0 | 3 of 150 pings lost |',
    'the time the lost pings stand for',
  );
  t.equal(lines.at(-1), '1/1 checks passed');
  // Many floating IPs are watched more slowly: at most 100 pings a second in all.
  t.same([2, 20, 21, 50, 100].map(watchIntervalMs), [200, 200, 300, 500, 1000]);
});
