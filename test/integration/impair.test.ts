// Impairments for real (test/fixtures/impairments.yaml): a BACKUP that loses every advert
// becomes MASTER beside the MASTER and goes back once repaired; 30% loss on the client's port
// fails some of its requests, not all; a 16 kbit/s limit on lb1's port keeps 20 big pings from
// coming back within 3 s, which they do without it. The host is left as found.
import { join } from 'node:path';
import t from 'tap';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'tc', 'ping');

interface Check {
  name: string;
  ok: boolean;
  detail: string;
  [figure: string]: unknown;
}

t.test('run impairments: split brain from lost adverts, some requests lost, a rate limit', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', join(ROOT, 'test', 'fixtures', 'impairments.yaml'), '--json');
  t.equal(r.code, 0, r.err);
  const checks = JSON.parse(r.out.trim().split('\n').at(-1)!).checks as Check[];
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  const by = Object.fromEntries(checks.map((c) => [c.name, c]));
  t.match(by['lb2-deaf'].detail, /lb2\/vrrp VR_1 MASTER after \d+ ms/, 'lb2 became MASTER with lb1 still MASTER');
  t.match(by['lb2-hears-again'].detail, /lb2\/vrrp VR_1 BACKUP after \d+ ms/);
  t.match(by['client-lossy'].detail, /client\/eth0: 30% of what arrives lost .*; then \d+\/40 ok, all from lb1/);
  t.match(by['big-pings-unlimited'].detail, /-> exit 0/);
  t.match(by['big-pings-limited'].detail, /-> exit 1/, 'fewer than 20 replies within 3 s');
  t.same(await settledHostState(before), before, 'host as found');
});
