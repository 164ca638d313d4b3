// The live screen in a real terminal: `lablb run <scenario>` inside tmux (120x40), the pane
// captured as the experiment unfolds. It must show the lab's state changing, exit 0, and leave
// the host as found.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'tmux', 'haproxy', 'keepalived');
const SOCKET = `lablb-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `lablb run <scenario>` in a 120x40 tmux pane, capturing it until it exits. */
async function runOnScreen(t: Test, scenario: string): Promise<string[] | undefined> {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-tui-'));
  const exitFile = join(dir, 'exit');
  const session = `lablb-${Date.now()}`;
  // CI=true turns the screen off; this test is about the screen, so the command runs without it.
  const command = `env -u CI -u NODE_OPTIONS ${process.execPath} ${join(ROOT, 'bin', 'lablb.js')} run ${scenario}; echo $? > ${exitFile}; sleep 60`;
  tmux('new-session', '-d', '-s', session, '-x', '120', '-y', '40', command);
  t.teardown(() => void spawnSync('tmux', ['-L', SOCKET, 'kill-session', '-t', session]));

  const frames: string[] = [];
  const deadline = Date.now() + 90_000;
  while (!existsSync(exitFile) && Date.now() < deadline) {
    await sleep(400);
    try {
      frames.push(tmux('capture-pane', '-p', '-t', session));
    } catch {
      break;
    }
  }
  if (!t.ok(existsSync(exitFile), 'the run finished')) {
    t.comment(`last capture:\n${frames.at(-1) ?? '(none)'}`);
    return undefined;
  }
  t.equal(readFileSync(exitFile, 'utf8').trim(), '0', 'exit 0: every check held');
  return frames;
}

t.teardown(() => void spawnSync('tmux', ['-L', SOCKET, 'kill-server']));

t.test('run floating-ip-lb on the live screen', { skip }, async (t) => {
  const before = hostState();
  const frames = await runOnScreen(t, 'floating-ip-lb');
  if (!frames) return;
  const live = frames.filter((f) => /│ Services +│/.test(f));
  t.ok(live.length >= 5, `the live screen was seen (${live.length} of ${frames.length} captures)`);
  for (const f of live) t.equal(f.split('\n').filter((l) => /^ lablb floating-ip-lb/.test(l)).length, 1, 'one header: no stale lines left behind');
  const seen = (re: RegExp) => live.some((f) => re.test(f));
  t.ok(seen(/building \d+\/\d+/) || seen(/ up /), 'the build shows');
  t.ok(seen(/vm2\s+10\.0\.0\.82:80\s+UP\s/), 'vm2 UP');
  t.ok(seen(/vm2\s+10\.0\.0\.82:80\s+DOWN\s/), 'vm2 DOWN after its web server is killed');
  t.ok(seen(/step 2\/5: kill-vm2-web/) && seen(/step 3\/5: restart-vm2-web/), 'the running step moves on');
  t.ok(seen(/\s\d+ \+\d+ +PREROUTING DNAT 10\.255\.253\.100->10\.0\.0\.100/), 'the DNAT counter moves');
  t.ok(seen(/ok \(last 5 s\) \d+\.\d%/), 'traffic is measured');
  const requests = live.map((f) => Number(/requests (\d+)/.exec(f)?.[1] ?? 0));
  t.ok(Math.max(...requests) > Math.min(...requests), 'and keeps changing');

  const last = frames.at(-1) ?? '';
  t.match(last, /5\/5 checks passed/, 'the summary stays on the terminal after the screen closes');
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('run vrrp-pair on the live screen: VRRP rows, the VIP moving, the failover step', { skip }, async (t) => {
  const before = hostState();
  const frames = await runOnScreen(t, join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml'));
  if (!frames) return;
  const seen = (re: RegExp) => frames.some((f) => re.test(f));
  t.ok(seen(/lb1\/vrrp VR_1 id 51 prio 100 MASTER/), 'lb1 MASTER');
  t.ok(seen(/lb1\/vrrp VR_1 id 51 prio 100 FAULT/), 'lb1 FAULT once its link is down');
  t.ok(seen(/lb2\/vrrp VR_1 id 51 prio 90 MASTER/), 'lb2 MASTER');
  t.ok(seen(/step 6\/7: master-link-down-failover/), 'the failover step runs');
  t.ok(seen(/lb2 now holds 10\.1\.0\.100\/24/), 'the VIP moving, in the events');
  t.ok(seen(/OUTAGE \d+\.\d s/) || seen(/longest outage [1-9]\d+ ms/), 'the outage shows');
  t.match(frames.at(-1) ?? '', /7\/7 checks passed/);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test("run keepalived-vip on the live screen: each port's security under it, VRRP per VM, the fixes as events", { skip }, async (t) => {
  const before = hostState();
  const frames = await runOnScreen(t, 'keepalived-vip');
  if (!frames) return;
  const seen = (re: RegExp) => frames.some((f) => re.test(f));
  t.ok(seen(/keepalived01\/vrrp VI_1 id 51 prio 100 MASTER/) && seen(/keepalived02\/vrrp VI_1 id 51 prio 90 MASTER/), 'both MASTER: split brain');
  t.ok(seen(/keepalived02\/vrrp VI_1 id 51 prio 90 BACKUP/), 'keepalived02 BACKUP once VRRP is allowed');
  t.ok(seen(/keepalived01 +eth0 172\.16\.200\.193\/24[^\n]*\n│ {7}sg web drop arp [1-9]/), "keepalived01's spoofed ARP replies counted under its port");
  t.ok(seen(/│ {7}sg web \+pair 172\.16\.200\.251/), 'the allowed address pair once it is added');
  t.ok(seen(/keepalived02 +eth0 172\.16\.200\.194\/24[^\n]*\n│ {7}no port security/), 'keepalived02 with port security off');
  t.ok(seen(/security group web: \+ (egress|ingress) vrrp/), 'the new rules in the events');
  t.match(frames.at(-1) ?? '', /9\/9 checks passed/);
  t.same(await settledHostState(before), before, 'host as found');
});
