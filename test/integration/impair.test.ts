// Impairments for real (test/fixtures/impairments.yaml): a BACKUP that loses every advert
// becomes MASTER beside the MASTER and goes back once repaired; 30% loss on the client's port
// fails some of its requests, not all; a 16 kbit/s limit on lb1's port keeps 20 big pings from
// coming back within 3 s, which they do without it. The host is left as found.
import { join } from 'node:path';
import t from 'tap';
import { lablb, ROOT, type Check } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'tc', 'ping');

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

t.test('lablb impair on a running lab: split brain by hand, --clear, and down takes off what is left', { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', join(ROOT, 'test', 'fixtures', 'impairments.yaml')).code, 0);
  t.teardown(() => void lablb('down', 'impairments'));
  const holdsVip = (node: string) => / 10\.1\.0\.100\//.test(lablb('exec', node, '--', 'ip', '-4', '-o', 'addr').out);
  const until = async (what: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !what()) await new Promise((r) => setTimeout(r, 200));
    return what();
  };
  t.ok(await until(() => holdsVip('lb1') && !holdsVip('lb2'), 15_000), 'lb1 holds the VIP');
  const deaf = lablb('impair', 'impairments', 'lb2:eth0', '--loss', '100');
  t.equal(deaf.code, 0, deaf.err);
  t.equal(deaf.out.trim(), 'lb2:eth0: 100% of what arrives lost');
  t.ok(await until(() => holdsVip('lb2') && holdsVip('lb1'), 10_000), 'lb2 hears no advert and takes the VIP too');
  const again = lablb('impair', 'impairments', 'lb2:eth0', '--loss', '50');
  t.equal(again.code, 2);
  t.match(again.err, /lb2:eth0 is impaired so already \(lb2\/eth0 without loss undoes it\)/);
  t.equal(lablb('impair', 'lb2:eth0', '--clear').out.trim(), 'lb2:eth0 unimpaired');
  t.ok(await until(() => !holdsVip('lb2'), 10_000), 'lb2 hears lb1 again and lets the VIP go');
  t.match(lablb('impair', 'lb2:eth0', '--clear').err, /lb2:eth0 is not impaired/);
  t.equal(lablb('impair', 'impairments', 'lb1:eth0', '--rate', '16').code, 0);
  t.match(lablb('exec', 'lb1', '--', 'tc', 'qdisc', 'show', 'dev', 'eth0').out, /qdisc tbf .* rate 16Kbit/);
  t.equal(lablb('down', 'impairments').code, 0, 'down with the rate limit still on');
  t.same(await settledHostState(before), before, 'host as found');
});
