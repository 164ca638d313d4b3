// A TCP session per floating IP: the prober's sessions mode against real sockets, what a step
// reads from its samples (lost, back when), the table's columns, and the scenario's checks.
import { spawn } from 'node:child_process';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { AGENT_DIR } from '../../src/paths.js';
import type { Sample } from '../../src/sample.js';
import { sessionsSince } from '../../src/steps/sessions.js';
import { outageTable } from '../../src/kinds/events.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { serviceKindOf } from '../../src/services/all.js';
import { opToShell } from '../../src/kinds/ops.js';
import { proberCommand } from '../../src/experiment/prober-client.js';
import { problemsOf, ROOT } from '../helpers.js';
import { readFileSync } from 'node:fs';

const NND = join(ROOT, 'scenarios', 'network-node-dies.yaml');
const nnd = (routers: number) => resolveLab(loadScenarioFile(NND, new Map([['routers', routers]])), { stateRoot: '/run/lablb' });

t.test('sessionsSince: never stalled, back after a stall, reset, still quiet at the end', async (t) => {
  const s = (t: number, quiet: string[], dead: string[] = []): Sample => ({ seq: t, t, ok: quiet.length + dead.length === 0, ms: 0, quiet, dead });
  const samples = [s(900, ['a']), s(1000, []), s(1500, ['b', 'c', 'd']), s(2000, ['c', 'd']), s(2500, ['d'], ['c']), s(3000, ['d'], ['c'])];
  const out = sessionsSince(samples, ['a', 'b', 'c', 'd'], 1000);
  t.same(out, { of: 4, lost: 2, unaffected: 1, backMs: [0, 1000] }, 'a stalled before `since` only; b back at 2000; c reset; d never back');
  t.same(sessionsSince(samples, [], 1000), { of: 0, lost: 0, unaffected: 0, backMs: [] });
  t.same(sessionsSince([], ['a'], 0), { of: 1, lost: 0, unaffected: 1, backMs: [0] }, 'no sample: nothing seen stalled');
  t.same(sessionsSince([s(1200, [], ['a']), s(1300, [], ['a'])], ['a'], 1000).lost, 1, 'reset without being quiet first');
});

t.test("the outage table gains the sessions' columns only when a row has sessions", async (t) => {
  const row = { answer: 'legacy', answered: 3, of: 3, p50_ms: 26000, p95_ms: 26100, max_ms: 26200 };
  t.same(outageTable([row]), [
    '| answer | answered | p50 ms | p95 ms | max ms | two masters / none | note |',
    '|---|---|---|---|---|---|---|',
    '| legacy | 3/3 | 26000 | 26100 | 26200 | - |  |',
  ]);
  t.same(
    outageTable([
      { ...row, sessions: { of: 3, lost: 1, p50_ms: 27000, max_ms: 27300 } },
      { ...row, answer: 'other', note: 'n' },
    ]).slice(1),
    [
      '|---|---|---|---|---|---|---|---|---|---|',
      '| legacy | 3/3 | 26000 | 26100 | 26200 | - | 1/3 | 27000 | 27300 |  |',
      '| other | 3/3 | 26000 | 26100 | 26200 | - | - | - | - | n |',
    ],
  );
});

/** Echo servers on 127.0.0.1-3, one port: .1 echoes, .2 resets its session after a while, .3
 *  stops answering after a while. */
async function servers(t: { teardown(fn: () => void): void }): Promise<number> {
  const open: Server[] = [];
  const sockets: Socket[] = [];
  const serve = (address: string, port: number) =>
    new Promise<number>((resolve, reject) => {
      const server = createServer((sock) => {
        sockets.push(sock);
        const started = Date.now();
        sock.on('error', () => undefined);
        sock.on('data', (d) => {
          if (address === '127.0.0.3' && Date.now() - started > 300) return;
          sock.write(d);
        });
        if (address === '127.0.0.2') setTimeout(() => sock.resetAndDestroy(), 300);
      });
      server.on('error', reject);
      server.listen(port, address, () => resolve((server.address() as { port: number }).port));
      open.push(server);
    });
  const port = await serve('127.0.0.1', 0);
  await serve('127.0.0.2', port);
  await serve('127.0.0.3', port);
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    for (const s of open) s.close();
  });
  return port;
}

t.test('the prober holds a session to each address: flowing, then one reset and one quiet', async (t) => {
  const port = await servers(t);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const child = spawn(
    process.execPath,
    [
      join(AGENT_DIR, 'prober.js'),
      '--sessions',
      '127.0.0.1,127.0.0.2,127.0.0.3',
      '--port',
      String(port),
      '--interval-ms',
      '50',
      '--timeout-ms',
      '200',
      '--max-seconds',
      '5',
    ],
    { env, stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const samples: Sample[] = [];
  let buffered = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const l of lines) samples.push(JSON.parse(l) as Sample);
  });
  const started = Date.now();
  await new Promise((r) => setTimeout(r, 1200));
  child.stdin.end();
  await new Promise((r) => child.on('exit', r));
  t.ok(
    samples.some((s) => s.ok && s.body === '3 sessions'),
    'all three flowed at first',
  );
  const last = samples.at(-1)!;
  t.equal(last.ok, false);
  t.same(last.dead, ['127.0.0.2'], 'the reset session is dead');
  t.same(last.quiet, ['127.0.0.3'], 'the silent one is quiet');
  t.equal(last.error, '1 of 3 sessions flowing, 1 quiet, 1 dead');
  // Quiet before the first connection; from the first sample with all three flowing:
  const since = samples.find((s) => s.ok)!.t;
  t.ok(since >= started);
  t.same(sessionsSince(samples, ['127.0.0.1', '127.0.0.2', '127.0.0.3'], since), { of: 3, lost: 2, unaffected: 1, backMs: [0] });
});

t.test('network-node-dies: a session to every floating IP, from the user beyond the gateway', async (t) => {
  const lab = nnd(2);
  const probe = lab.experiment!.probes.find((p) => p.name === 'sessions')!;
  t.same(probe.sessions, { port: 7, targets: ['172.24.2.2', '172.24.2.3', '172.24.4.2', '172.24.4.3', '172.24.6.2', '172.24.6.3'] });
  t.match(
    proberCommand(lab.name, probe, 600).argv.join(' '),
    /ip netns exec user .*prober\.js --sessions 172\.24\.2\.2,172\.24\.2\.3,.*,172\.24\.6\.3 --port 7 --interval-ms 500 --timeout-ms 1500/,
  );
  const vm = lab.nodes.find((n) => n.name === 'vm-h1')!;
  const echo = vm.services.find((s) => s.kind === 'tcp-echo')!;
  t.same(
    serviceKindOf('tcp-echo')
      .start(echo, {} as never)
      .map(opToShell),
    ['LABLB_TOKEN=network-node-dies/vm-h1/echo ip netns exec vm-h1 busybox nc -ll -p 7 -e cat >>/run/lablb/network-node-dies/nodes/vm-h1/echo.log 2>&1 &'],
  );
  for (const step of lab.experiment!.steps.filter((s) => s.kind === 'agent-down' || s.kind === 'reschedule'))
    t.match(step.spec, { sessions: { probe: 'sessions', targets: probe.sessions!.targets } }, `${step.name} reads the sessions`);
});

t.test('a sessions probe and the steps that read it, each mistake at its field', async (t) => {
  const text = readFileSync(NND, 'utf8');
  const probeLine = '    - { name: sessions, from: user, sessions: { port: 7 }, interval_ms: 500, timeout_ms: 1500 }';
  t.ok(text.includes(probeLine));
  const withProbe = (line: string) => problemsOf(text.replace(probeLine, line));
  t.same(withProbe('    - { name: sessions, from: user, sessions: { port: 7 }, url: "http://172.24.2.2/", interval_ms: 500 }'), [
    'experiment.probes[0]: say what to probe, one of: url: http://..., tcp: address:port, or sessions: { port: N }',
  ]);
  t.same(
    problemsOf(
      text
        .replace('routers: { default: 3,', 'routers: { default: 20,')
        .replace(probeLine, '    - { name: sessions, from: user, sessions: { port: 7 }, interval_ms: 50 }'),
    ),
    ['experiment.probes[0].interval_ms: 60 sessions written to every 50 ms is 1200 writes a second, over 1000: make interval_ms at least 60'],
  );
  t.same(withProbe('    - { name: sessions, from: user, url: "http://172.24.2.2/" }'), [
    'experiment.steps[1].sessions: probe sessions holds no sessions: give it sessions: { port: N }',
    'experiment.steps[2].sessions: probe sessions holds no sessions: give it sessions: { port: N }',
  ]);
  t.match(problemsOf(text.replace('sessions: sessions\n      within_ms: 30000', 'sessions: session\n      within_ms: 30000')), [
    /^experiment\.steps\[1\]\.sessions: .*session.*/,
  ]);
  // A lab without a floating IP has nothing to hold a session to.
  const pair = readFileSync(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml'), 'utf8');
  const vip = '    - { name: vip, from: client, url: "http://10.1.0.100/", interval_ms: 20, timeout_ms: 200 }';
  t.ok(pair.includes(vip));
  t.same(problemsOf(pair.replace(vip, `${vip}\n    - { name: s, from: client, sessions: { port: 7 } }`)), [
    'experiment.probes[1].sessions: the lab has no floating IP to hold a session to',
  ]);
});
