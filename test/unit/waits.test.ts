// Each wait as a predicate: met exactly when the lab is as it says, not merely when something
// changed, and a block that names what the lab lacks is refused at its field. Written against
// the survivors of mutation testing (npm run mutation): each assertion here failed a mutant
// that the step tests let through.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { emptyFacts, type Facts } from '../../src/kinds/facts.js';
import type { ScenarioError } from '../../src/errors.js';
import { haproxyFacts } from '../../src/services/haproxy/observe.js';
import { keepalivedFacts } from '../../src/services/keepalived/observe.js';
import { addressWait, type AddressWaitSpec } from '../../src/waits/address.js';
import { memberWait, type MemberWaitSpec } from '../../src/waits/member.js';
import { probeWait } from '../../src/waits/probe.js';
import { waitKindFor, waitKindOf } from '../../src/waits/all.js';
import { labFromText, ROOT } from '../helpers.js';
import { harness } from '../step-harness.js';
import { stepKindOf } from '../../src/steps/all.js';
import type { Lab, LabStep } from '../../src/model.js';
import type { LabWait } from '../../src/kinds/wait-kind.js';

const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');
const PAIR = read('test/fixtures/vrrp-pair.yaml');
const FLAGSHIP = read('scenarios/floating-ip-lb.yaml');
const LBAAS = read('scenarios/lbaas-v1-v2.yaml');

/** The waits of a step, as resolved. */
const waitsOf = (lab: Lab, step: string) => (lab.experiment!.steps.find((s) => s.name === step) as LabStep<{ waits: LabWait[] }>).spec.waits;

/** The problems a text has, one line each, "path: message". */
function problems(text: string): string[] {
  try {
    labFromText(text);
    return [];
  } catch (err) {
    return (err as ScenarioError).problems.map((p) => `${p.path}: ${p.message}`);
  }
}

const holding = (held: Record<string, string[]>): Facts => {
  const facts = emptyFacts();
  facts.addresses = Object.fromEntries(Object.entries(held).map(([node, list]) => [node, list.map((address) => ({ dev: 'eth0', address }))]));
  return facts;
};

t.test('address: exactly these holders, or exactly this many', async (t) => {
  const exact: AddressWaitSpec = { address: '10.1.0.100', count: 1, holders: ['lb1'] };
  t.equal(addressWait.check(exact, holding({ lb1: ['10.1.0.100/24'] }), 0).met, true);
  t.equal(addressWait.check(exact, holding({ lb2: ['10.1.0.100/24'] }), 0).met, false, 'the wrong node');
  t.equal(addressWait.check(exact, holding({ lb1: ['10.1.0.100/24'], lb2: ['10.1.0.100/24'] }), 0).met, false, 'one too many');
  t.equal(addressWait.check(exact, holding({ lb1: ['10.1.0.101/24'] }), 0).met, false, 'another address');
  t.same(addressWait.check(exact, holding({}), 0), { met: false, now: 'held by no node' });
  const two: AddressWaitSpec = { address: '10.1.0.100', count: 2 };
  t.equal(addressWait.check(two, holding({ lb1: ['10.1.0.100/24'] }), 0).met, false);
  t.same(addressWait.check(two, holding({ lb2: ['10.1.0.100/24'], lb1: ['10.1.0.100/32'] }), 0), { met: true, now: 'held by lb1, lb2' });
  t.equal(addressWait.describe(two), '10.1.0.100 held by 2 nodes');
  t.equal(addressWait.describe({ address: '10.1.0.100', count: 1 }), '10.1.0.100 held by 1 node');
  t.equal(addressWait.describe({ address: '10.1.0.100', count: 0, holders: [] }), '10.1.0.100 held by no node');
  t.equal(addressWait.describeMet!(two, 'held by lb1, lb2'), '10.1.0.100 held by lb1, lb2');
  t.equal(addressWait.describeMet!(exact, 'held by lb1'), '10.1.0.100 held by lb1 only');

  const lab = labFromText(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ address: 10.1.0.100, held_by: [lb2, lb1] }'));
  const [, , both] = waitsOf(lab, 'one-master');
  t.same(
    both.spec,
    { address: '10.1.0.100', count: 2, holders: ['lb1', 'lb2'], bound: { ms: 3648, why: 'VRRPv2 master-down: 3 x advert_int 1 s + (256 - 90) / 256 s' } },
    "held_by in any order; its length is the count; the slower holder's VRRP bound on taking the VIP",
  );
  t.equal(addressWait.bound!(both.spec as AddressWaitSpec)?.ms, 3648);
  const nobody = labFromText(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ address: 10.1.0.100, holders: 1 }'));
  t.equal((waitsOf(nobody, 'one-master')[2].spec as AddressWaitSpec).bound, undefined, 'no holder named, no bound');
  const client = labFromText(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ address: 10.1.0.100, held_by: [client] }'));
  t.equal((waitsOf(client, 'one-master')[2].spec as AddressWaitSpec).bound, undefined, 'a holder that claims nothing lends none');
  t.same(waitsOf(labFromText(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ address: 10.1.0.100 }')), 'one-master')[2].spec, {
    address: '10.1.0.100',
    count: 1,
    holders: undefined,
  });
  t.same(problems(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ address: 10.1.0.100, held_by: [lb1], holders: 2 }')), [
    'experiment.steps[0].until[2].holders: holders: 2 contradicts held_by (1 nodes)',
  ]);
  t.same(problems(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ address: 10.1.0.100, held_by: [lb1], holders: 1 }')), [], 'agreeing is fine');
});

t.test("member: the load balancer's own word for the member, UP or DOWN", async (t) => {
  const lab = labFromText(FLAGSHIP);
  const [wait] = waitsOf(lab, 'kill-vm2-web');
  const spec = wait.spec as MemberWaitSpec;
  t.match(spec, { loadbalancer: 'qlbaas-01/lb', kind: 'haproxy', node: 'vm2', state: 'DOWN' });
  t.same(memberWait.needs(spec), ['haproxy']);
  const seen = (status: string, wait = spec) => {
    const facts = emptyFacts();
    haproxyFacts(facts, { node: 'qlbaas-01', name: 'lb' })[spec.member] = { node: 'vm2', status, sessions: 0, checkStatus: 'L4CON' };
    return memberWait.check(wait, facts, 0);
  };
  t.same(seen('UP 1/3'), { met: false, now: 'UP 1/3' }, 'going down is still up');
  t.same(seen('DOWN'), { met: true, now: 'DOWN' });
  t.same(memberWait.check(spec, emptyFacts(), 0), { met: false, now: 'unknown' }, 'not seen yet');
  t.equal(memberWait.figure(spec), 'detect_ms');
  const up = { ...spec, state: 'UP' as const };
  t.equal(seen('DOWN 1/2', up).met, false, 'coming up is still down');
  t.equal(seen('UP', up).met, true);
  t.equal(memberWait.check(up, emptyFacts(), 0).met, false);
  t.equal(memberWait.figure(up), 'recover_ms');
  t.same(memberWait.bound!(spec), { ms: 8000, why: 'haproxy: fall 3 x inter 1 s + timeout check 5 s' });

  t.same(
    problems(
      FLAGSHIP.replace(
        'watch: { loadbalancer: qlbaas-01/lb, member: vm2 }\n      within_ms: 40000',
        'watch: { loadbalancer: vm1/web, member: vm2 }\n      within_ms: 40000',
      ),
    ),
    ['experiment.steps[1].watch.loadbalancer: vm1/web is not a load balancer'],
  );
  t.match(
    problems(
      FLAGSHIP.replace(
        'watch: { loadbalancer: qlbaas-01/lb, member: vm2 }\n      within_ms: 40000',
        'watch: { loadbalancer: qlbaas-01/lb, member: vm3 }\n      within_ms: 40000',
      ),
    ),
    [/^experiment\.steps\[1\]\.watch\.member: qlbaas-01\/lb has no member on node "vm3"; did you mean "vm[12]"\?$/],
  );
  // lbaas-v1-v2's v2 load balancer has two members on web2 (ports 80 and 8080).
  t.same(
    problems(
      LBAAS.replace(
        '{ member: { loadbalancer: qlbaas-v2/lb, node: v2-web2-80 }, state: DOWN }',
        '{ member: { loadbalancer: qlbaas-v2/lb, node: web2 }, state: DOWN }',
      ),
    ),
    ['experiment.steps[5].until[1].member.node: qlbaas-v2/lb has several members on web2 (v2-web2-80, v2-web2-8080): name one by its id'],
  );
  const byId = waitsOf(labFromText(LBAAS), 'web2-http-dies')[1].spec as MemberWaitSpec;
  t.equal(byId.member, 'v2-web2-80', 'a member named by its id');
  t.equal(memberWait.describe(byId), 'haproxy saw member v2-web2-80 on qlbaas-v2/lb DOWN');
});

t.test('vrrp: the instance named, on the service named, in the state named', async (t) => {
  const two = PAIR.replace(
    '- { name: VR_1, interface: eth0, virtual_router_id: 51, priority: 90, advert_int: 1, virtual_ipaddress: [10.1.0.100] }',
    '- { name: VR_0, interface: eth0, virtual_router_id: 52, priority: 200, advert_int: 3, virtual_ipaddress: [10.1.0.101] }\n          - { name: VR_1, interface: eth0, virtual_router_id: 51, priority: 90, advert_int: 1, virtual_ipaddress: [10.1.0.100] }',
  );
  const lab = labFromText(two);
  const [master] = waitsOf(lab, 'master-link-down-failover');
  const vrrp = waitKindOf('vrrp');
  t.same(vrrp.bound!(master.spec), { ms: 3648, why: 'VRRPv2 master-down: 3 x advert_int 1 s + (256 - 90) / 256 s' }, "VR_1's timers, not VR_0's");
  t.equal(vrrp.bound!(waitsOf(lab, 'one-master')[1].spec), undefined, 'no bound on becoming BACKUP');
  const facts = emptyFacts();
  keepalivedFacts(facts, { node: 'lb2', name: 'vrrp' }).VR_0 = 'MASTER';
  keepalivedFacts(facts, { node: 'lb2', name: 'vrrp' }).VR_1 = 'BACKUP';
  t.same(vrrp.check(master.spec, facts, 0), { met: false, now: 'BACKUP' }, 'another instance being MASTER does not count');
  keepalivedFacts(facts, { node: 'lb2', name: 'vrrp' }).VR_1 = 'MASTER';
  t.equal(vrrp.check(master.spec, facts, 0).met, true);
  t.same(vrrp.needs(master.spec), ['keepalived']);
  t.equal(vrrp.describe(master.spec), 'lb2/vrrp VR_1 MASTER');
  const v3 = labFromText(PAIR.replace('priority: 90, advert_int: 1,', 'priority: 90, advert_int: 2, version: 3,'));
  t.equal(vrrp.bound!(waitsOf(v3, 'master-link-down-failover')[0].spec)!.why, 'VRRPv3 master-down: 3 x advert_int 2 s + (256 - 90) / 256 x 2 s');

  t.match(
    problems(
      PAIR.replace(
        '{ vrrp: lb2/vrrp/VR_1, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
        '{ vrrp: lb2/vrrp/VR_9, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
      ),
    ),
    [/^experiment\.steps\[5\]\.until\[0\]\.vrrp: .*VR_9.*VR_1/],
  );
  t.match(
    problems(
      PAIR.replace(
        '{ vrrp: lb2/vrrp/VR_1, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
        '{ vrrp: client/web/VR_1, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
      ),
    ),
    [/^experiment\.steps\[5\]\.until\[0\]\.vrrp: (client\/web runs no VRRP instances|.*web.*)$/],
  );
  t.match(
    problems(
      PAIR.replace(
        '{ vrrp: lb2/vrrp/VR_1, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
        '{ vrrp: lb2/vrrp, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
      ),
    ),
    [/^experiment\.steps\[5\]\.until\[0\]\.vrrp: .*node\/service\/instance/],
  );
  t.match(
    problems(
      PAIR.replace(
        '{ vrrp: lb2/vrrp/VR_1, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
        '{ vrrp: lb2/vrrp/VR_1/x, state: MASTER }\n        - { address: 10.1.0.100, held_by: [lb2] }',
      ),
    ),
    [/^experiment\.steps\[5\]\.until\[0\]\.vrrp: .*node\/service\/instance/],
  );
});

t.test('probe: successes in a row, among replies to probes sent since the step began', async (t) => {
  const spec = { probe: 'vip', successes: 3 };
  const facts = emptyFacts();
  const s = (seq: number, t: number, ok: boolean) => ({ seq, t, ok, ms: 1, ...(ok ? { body: 'x' } : { error: 'timeout' }) });
  facts.probes.vip = [s(1, 100, true), s(2, 110, true), s(3, 120, true), s(4, 200, false), s(5, 210, true), s(6, 220, true)];
  t.same(probeWait.check(spec, facts, 200), { met: false, now: '2 in a row of 3' }, 'what came before the step does not count');
  t.same(probeWait.check(spec, facts, 0), { met: false, now: '2 in a row of 6' }, 'a failure starts the count again');
  facts.probes.vip = [...facts.probes.vip, s(7, 230, true)];
  t.same(probeWait.check(spec, facts, 200), { met: true, now: '3 in a row of 4' });
  t.same(probeWait.check(spec, facts, 230), { met: false, now: '1 in a row of 1' }, 'sent at the step start counts');
  facts.probes.vip = [s(9, 300, true), s(8, 290, false), s(10, 310, true)];
  t.same(probeWait.check({ probe: 'vip', successes: 2 }, facts, 0), { met: true, now: '2 in a row of 3' }, 'in the order they came back');
  t.same(probeWait.check(spec, emptyFacts(), 0), { met: false, now: '0 in a row of 0' });
  t.equal(probeWait.figure(spec), 'vip_flowing_ms');
});

t.test('waits are told apart by their key, and an unknown one is a bug', async (t) => {
  t.equal(waitKindFor({ address: '10.0.0.1' })?.key, 'address');
  t.equal(waitKindFor({ successes: 1 })?.key, 'successes');
  t.equal(waitKindFor({ dropped: 'a/b', reason: 'ingress' })?.key, 'dropped');
  t.equal(waitKindFor({ nothing: 1 }), undefined);
  t.throws(() => waitKindOf('nothing'), { message: 'no wait nothing' });
  t.match(
    problems(PAIR.replace('{ address: 10.1.0.100, held_by: [lb1] }', '{ adress: 10.1.0.100 }')),
    [/^experiment\.steps\[0\]\.until\[2\]/],
    'refused at the wait',
  );
});

t.test("a drop wait counts what a port's drop flow dropped during the step, not before it", async (t) => {
  const lab = labFromText(read('scenarios/keepalived-vip.yaml'));
  const step = lab.experiment!.steps.find((s) => s.name === 'arp-replies-dropped-in-table-24')!;
  const drops = (facts: Facts, arp: number) => {
    facts.security['keepalived01/eth0'] = {
      enabled: true,
      groups: ['web'],
      pairs: [],
      summary: '',
      drops: { 'arp-spoof': arp, 'ip-spoof': 0, egress: 0, ingress: 9 },
    } as never;
  };
  // 7 dropped before the step, none during it: not met.
  const still = harness(
    labFromText(
      readFileSync(join(ROOT, 'scenarios', 'keepalived-vip.yaml'), 'utf8').replace(
        '        - { dropped: keepalived01/eth0, reason: arp-spoof }\n',
        '        - { dropped: keepalived01/eth0, reason: arp-spoof }\n      within_ms: 100\n',
      ),
    ),
    (_n, facts) => drops(facts, 7),
  );
  const stillStep = still.ctx.lab.experiment!.steps.find((s) => s.name === 'arp-replies-dropped-in-table-24')!;
  still.ctx.probe = () => undefined;
  const notMet = await stepKindOf(stillStep.kind).run(stillStep, still.ctx);
  t.equal(notMet.ok, false);
  t.match(
    notMet.detail,
    /^keepalived01\/eth0 dropped a packet \(ARP from an address it was not given \(table 24\)\): not within 100 ms \(now 0 dropped during the step\)$/,
  );
  t.same(still.polls[0], ['security'], 'it reads the security observer');
  // 7 before, 8 on the third poll: met.
  const h = harness(lab, (n, facts) => drops(facts, n >= 3 ? 8 : 7));
  h.ctx.probe = () => undefined;
  const met = await stepKindOf(step.kind).run(step, h.ctx);
  t.ok(met.ok, String(met.detail));
  t.match(met.detail, /^keepalived01\/eth0 dropped a packet \(ARP from an address it was not given \(table 24\)\) after \d+ ms$/);
});

t.test('a drop wait names a port of the lab, in a lab with port security', async (t) => {
  const vip = read('scenarios/keepalived-vip.yaml');
  t.throws(() => labFromText(vip.replace('{ dropped: keepalived01/eth0, reason: arp-spoof }', '{ dropped: keepalived01/eth9, reason: arp-spoof }')), {
    message: /dropped: .*eth9/,
  });
  t.throws(() => labFromText(vip.replace('{ dropped: keepalived01/eth0, reason: arp-spoof }', '{ dropped: keepalived01/eth0, reason: spoof }')), {
    message: /reason/,
  });
});
