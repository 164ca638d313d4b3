// The live screen in a real terminal: `lablb run floating-ip-lb` inside tmux (120x40), the pane
// captured as the experiment unfolds. It must show the lab's state changing, exit 0, and leave
// the host as found.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers.js';
import { hostState, isRoot } from '../host-state.js';

const hasTmux = spawnSync('tmux', ['-V']).status === 0;
const skip = !isRoot ? 'needs root: run the tests with sudo' : !hasTmux ? 'needs tmux (scripts/setup-host.sh installs it)' : false;
const SOCKET = `lablb-test-${process.pid}`;
const tmux = (...args: string[]) => execFileSync('tmux', ['-L', SOCKET, ...args], { encoding: 'utf8' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('run floating-ip-lb on the live screen', { skip }, async (t) => {
  const before = hostState();
  const dir = mkdtempSync(join(tmpdir(), 'lablb-tui-'));
  const exitFile = join(dir, 'exit');
  // CI=true turns the screen off; this test is about the screen, so the command runs without it.
  const command = `env -u CI -u NODE_OPTIONS ${process.execPath} ${join(ROOT, 'bin', 'lablb.js')} run floating-ip-lb; echo $? > ${exitFile}; sleep 60`;
  tmux('new-session', '-d', '-s', 'lablb', '-x', '120', '-y', '40', command);
  t.teardown(() => void spawnSync('tmux', ['-L', SOCKET, 'kill-server']));

  const frames: string[] = [];
  const deadline = Date.now() + 90_000;
  while (!existsSync(exitFile) && Date.now() < deadline) {
    await sleep(400);
    try {
      frames.push(tmux('capture-pane', '-p', '-t', 'lablb'));
    } catch {
      break;
    }
  }
  if (!t.ok(existsSync(exitFile), 'the run finished')) {
    t.comment(`last capture:\n${frames.at(-1) ?? '(none)'}`);
    return;
  }
  t.equal(readFileSync(exitFile, 'utf8').trim(), '0', 'exit 0: every check held');

  const live = frames.filter((f) => f.includes('Services (haproxy members'));
  t.ok(live.length >= 5, `the live screen was seen (${live.length} of ${frames.length} captures)`);
  for (const f of live) t.equal(f.split('\n').filter((l) => /^ lablb floating-ip-lb/.test(l)).length, 1, 'one header: no stale lines left behind');
  const seen = (re: RegExp) => live.some((f) => re.test(f));
  t.ok(seen(/building \d+\/\d+/) || seen(/ up /), 'the build shows');
  t.ok(seen(/vm2\s+10\.0\.0\.82:80\s+UP\s/), 'vm2 UP');
  t.ok(seen(/vm2\s+10\.0\.0\.82:80\s+DOWN\s/), 'vm2 DOWN after its web server is killed');
  t.ok(seen(/step 2\/5: kill-vm2-web/) && seen(/step 3\/5: restart-vm2-web/), 'the running step moves on');
  t.ok(seen(/PREROUTING DNAT 10\.255\.253\.100 -> 10\.0\.0\.100\s+\d+ \+\d+/), 'the DNAT counter moves');
  t.ok(seen(/ok \(last 5 s\) \d+\.\d%/), 'traffic is measured');
  const requests = live.map((f) => Number(/requests (\d+)/.exec(f)?.[1] ?? 0));
  t.ok(Math.max(...requests) > Math.min(...requests), 'and keeps changing');

  const last = frames.at(-1) ?? '';
  t.match(last, /5\/5 checks passed/, 'the summary stays on the terminal after the screen closes');
  t.same(hostState(), before, 'host as found');
});
