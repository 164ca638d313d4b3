// A keepalived VIP shared by two nodes, for real: the client reaches the VIP on the MASTER; when
// the MASTER's interface goes down, the BACKUP takes the VIP and the client reaches it there.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers.js';
import { hostState, isRoot } from '../host-state.js';

const skip = isRoot ? false : 'needs root: run the tests with sudo to build real labs';
const PAIR = join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml');
const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k))), NO_COLOR: '1' };
const lablb = (...args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lablb.js'), ...args], { encoding: 'utf8', env, timeout: 60_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Asks the VIP from the client until `want` answers (bounded). */
async function vipAnswers(want: string, withinMs: number): Promise<number | undefined> {
  const t0 = Date.now();
  while (Date.now() - t0 < withinMs) {
    if (lablb('exec', 'client', '--', 'curl', '-s', '-m', '1', 'http://10.1.0.100/').out.trim() === want) return Date.now() - t0;
    await sleep(100);
  }
  return undefined;
}

t.test('the VIP moves to the BACKUP when the MASTER loses its link', { skip }, async (t) => {
  const before = hostState();
  const up = lablb('up', PAIR);
  t.equal(up.code, 0, up.err);
  t.teardown(() => void lablb('down', 'vrrp-pair'));

  t.ok((await vipAnswers('lb1', 10_000)) !== undefined, 'lb1 (priority 100) holds the VIP');
  t.match(lablb('exec', 'lb1', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0').out, /10\.1\.0\.100\/24/);
  t.notMatch(lablb('exec', 'lb2', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0').out, /10\.1\.0\.100/);

  t.equal(lablb('exec', 'lb1', '--', 'ip', 'link', 'set', 'eth0', 'down').code, 0);
  const ms = await vipAnswers('lb2', 10_000);
  t.ok(ms !== undefined, `lb2 answers on the VIP ${ms} ms after lb1 went down (advert_int 1: about 3 s)`);
  t.match(lablb('exec', 'lb2', '--', 'ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0').out, /10\.1\.0\.100\/24/);
  t.match(lablb('exec', 'lb2', '--', 'cat', '/run/lablb/vrrp-pair/nodes/lb2/vrrp.log').out, /\(VR_1\) Entering MASTER STATE/, 'keepalived says so');

  t.equal(lablb('down', 'vrrp-pair').code, 0);
  let now = hostState();
  for (let i = 0; i < 50 && JSON.stringify(now) !== JSON.stringify(before); i++) {
    await sleep(100);
    now = hostState();
  }
  t.same(now, before, 'host as found');
});
