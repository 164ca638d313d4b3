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
