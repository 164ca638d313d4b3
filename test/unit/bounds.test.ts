// A step held to the protocol's bound: a takeover slower than VRRP's master-down interval
// fails, though within within_ms. Apart from test/unit/steps.test.ts because it takes real
// time (the tolerance is 500 ms), which mutation testing would pay for every mutant.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Facts } from '../../src/kinds/facts.js';
import type { Sample } from '../../src/sample.js';
import { keepalivedFacts } from '../../src/services/keepalived/observe.js';
import { stepKindOf } from '../../src/steps/all.js';
import { leaseBound } from '../../src/steps/dhcp-request.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { harness } from '../step-harness.js';
import { labFromText, ROOT } from '../helpers.js';

const readPair = () => readFileSync(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml'), 'utf8');
const vrrp = (facts: Facts, states: Record<string, string>) => {
  for (const [node, state] of Object.entries(states)) keepalivedFacts(facts, { node, name: 'vrrp' }).VR_1 = state;
};

t.test("a takeover slower than the protocol's bound fails the step, though within within_ms", async (t) => {
  // advert_int 0.01 s, priority 254: a master-down interval of 0.03 s + 2/256 s = 38 ms, at
  // most 542 ms with the tolerance; this BACKUP takes over 600 ms (26 polls 25 ms apart).
  const lab = labFromText(readPair().replace('priority: 90, advert_int: 1,', 'priority: 254, advert_int: 0.01,'));
  const step = lab.experiment!.steps.find((s) => s.name === 'master-link-down-failover')!;
  const ok = Array.from({ length: 20 }, (_, i): Sample => ({ seq: i, t: Date.now() + i, ok: true, ms: 2, body: 'lb2' }));
  const h = harness(
    lab,
    (n, facts) => {
      vrrp(facts, { lb1: 'FAULT', lb2: n >= 26 ? 'MASTER' : 'BACKUP' });
      facts.addresses = { lb1: [], lb2: n >= 26 ? [{ dev: 'eth0', address: '10.1.0.100/24' }] : [], client: [] };
    },
    ok,
  );
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.equal(check.ok, false);
  t.equal(check.master_bound_ms, 38);
  t.ok(Number(check.master_ms) > 542, `took ${check.master_ms} ms`);
  t.match(
    check.detail,
    /lb2\/vrrp VR_1 MASTER after \d+ ms \(OVER THE BOUND: \d+% of its bound 38 ms, VRRPv2 master-down: 3 x advert_int 0\.01 s \+ \(256 - 254\) \/ 256 s; 542 ms at most with the tolerance\)/,
  );
});

t.test("a DHCP lease is held to dhclient's timers, written into its config", async (t) => {
  t.same(leaseBound({ rebootS: 10, initialIntervalS: 3, backoffCutoffS: 15 }), {
    ms: 32_500,
    why: 'dhclient: reboot 10 s + a retransmission at most 1.5 x backoff-cutoff 15 s',
  });
  t.equal(leaseBound({ rebootS: 4, initialIntervalS: 1, backoffCutoffS: 2 }).ms, 7000);
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'dhcp-ha.yaml')), { stateRoot: '/run/lablb' });
  const step = lab.experiment!.steps.find((s) => s.name === 'vm1-renews-from-agent-2')!;
  const h = harness(lab, () => {});
  const leases = '/run/lablb/dhcp-ha/nodes/vm1/eth0.dhclient.leases';
  h.ctx.host.writeFile(
    leases,
    'lease {\n  fixed-address 10.0.0.11;\n  option routers 10.0.0.1;\n  option dhcp-server-identifier 10.0.0.3;\n  option domain-name "openstacklocal";\n}\n',
  );
  const check = await stepKindOf(step.kind).run(step, h.ctx);
  t.equal(check.ok, true, check.detail);
  t.equal(check.lease_bound_ms, 32_500);
  t.match(
    check.detail,
    /^vm1\/eth0 got 10\.0\.0\.11 from qdhcp-2 \(10\.0\.0\.3\), router 10\.0\.0\.1, domain openstacklocal, in \d+ ms \(0% of its bound 32500 ms, dhclient: reboot 10 s/,
  );
  t.equal(check.router, '10.0.0.1');
  const conf = h.applied.find((op) => op.kind === 'write');
  t.match(conf, { content: 'timeout 40;\nretry 1;\nreboot 10;\ninitial-interval 3;\nbackoff-cutoff 15;\n' }, 'the timers the bound is made of');
  t.match(stepKindOf(step.kind).explain!(step, { lab } as never).at(-1), /within 36250 ms \(dhclient: reboot 10 s .*, with the tolerance\)$/);
});
