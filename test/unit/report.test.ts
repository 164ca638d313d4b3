// A run's report: its events folded into steps, probe series, state bands and figures; the page
// made of them, with every word of a scenario escaped and nothing it could fetch; and the
// `report` verb's mistakes, each named.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { LabEvent } from '../../src/kinds/events.js';
import { availabilityOf, figuresOf, reportData } from '../../src/report/run-data.js';
import { reportHtml } from '../../src/report/run-report.js';
import { checkReportPath, parseRunEvents, writeRunReport } from '../../src/commands/report.js';
import { probeEvent } from '../../src/experiment/run.js';
import { graphJson } from '../../src/report/graph.js';
import { fakeHost } from '../fake-host.js';
import { lablb, loadFixtureLab } from '../helpers.js';
import { vrrpEvent } from '../../src/services/keepalived/observe.js';
import { memberEvent } from '../../src/services/haproxy/observe.js';
import type { LabService } from '../../src/model.js';
import type { KeepalivedSpec } from '../../src/services/keepalived/keepalived.js';
import type { HaproxySpec } from '../../src/services/haproxy/haproxy.js';

const vrrp = (node: string) => ({ node, name: 'vrrp' }) as LabService<KeepalivedSpec>;
const lb = { node: 'lb', name: 'haproxy', spec: { frontends: [{}] } } as unknown as LabService<HaproxySpec>;

/** A failover, as a run would tell it: lb1 MASTER, killed at 2 s, lb2 MASTER at 5.5 s. */
function failover(): LabEvent[] {
  return [
    { type: 'lab', lab: 'pair', state: 'ready', ms: 900 },
    vrrpEvent(vrrp('lb1'), 'VR_1', 'MASTER', 400),
    vrrpEvent(vrrp('lb2'), 'VR_1', 'BACKUP', 450),
    { type: 'address', node: 'lb1', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 500 },
    memberEvent(lb, { node: 'web1', pool: 'p' }, 'UP', 600),
    { type: 'step', name: 'kill-master', kind: 'service', index: 1, total: 2, at_ms: 2000 },
    vrrpEvent(vrrp('lb1'), 'VR_1', 'FAULT', 2100),
    { type: 'address', node: 'lb1', address: '10.0.0.100', dev: 'eth0', held: false, at_ms: 2100 },
    // A node that never held it lets go: no change.
    { type: 'address', node: 'lb9', address: '10.0.0.100', dev: 'eth0', held: false, at_ms: 2200 },
    // Two hold it at once for a while: a split brain.
    { type: 'address', node: 'lb3', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 3000 },
    { type: 'address', node: 'lb3', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 3100 },
    vrrpEvent(vrrp('lb2'), 'VR_1', 'MASTER', 5500),
    { type: 'address', node: 'lb2', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 5500 },
    { type: 'check', name: 'kill-master', ok: true, detail: 'lb2 MASTER in 3500 ms', takeover_ms: 3500, bound_ms: 4000, at_ms: 5600 },
    { type: 'step', name: 'never-ends', kind: 'sleep', index: 2, total: 2, at_ms: 5600 },
    { type: 'note', message: 'no time: not an event of the timeline' },
    {
      type: 'probe',
      name: 'http',
      target: 'http://10.0.0.100/',
      from: 'ext',
      interval_ms: 500,
      samples: [
        [0, 1, 2],
        [500, 1, 3],
        [2000, 0, 1500],
        [2500, 0, 1500],
        [6000, 1, 4],
      ],
    },
    {
      type: 'summary',
      scenario: 'pair',
      lab: 'pair',
      ok: true,
      checks: [{ name: 'kill-master', ok: true, detail: 'lb2 MASTER in 3500 ms', takeover_ms: 3500, bound_ms: 4000 }],
    },
  ];
}

t.test('reportData: steps on the run clock, probes with their availability, a band for each thing with a state', async (t) => {
  const d = reportData(failover());
  t.equal(d.end_ms, 6004, 'the last thing seen: the last answer');
  t.same(d.steps, [
    { name: 'kill-master', kind: 'service', from_ms: 2000, to_ms: 5600, ok: true, detail: 'lb2 MASTER in 3500 ms' },
    { name: 'never-ends', kind: 'sleep', from_ms: 5600 },
  ]);
  t.same(
    d.probes.map((p) => [p.name, p.answered, p.lost]),
    [['http', 3, 2]],
  );
  t.same(d.probes[0].availability, [
    { at_ms: 0, percent: 100 },
    { at_ms: 2000, percent: 0 },
    { at_ms: 6000, percent: 100 },
  ]);
  const band = (label: string) => d.bands.find((b) => b.label === label)?.segments.map((s) => [s.state, s.from_ms, s.to_ms, s.tone]);
  t.same(band('lb1/vrrp VR_1'), [
    ['MASTER', 400, 2100, 'good'],
    ['FAULT', 2100, 6004, 'bad'],
  ]);
  t.same(band('lb2/vrrp VR_1'), [
    ['BACKUP', 450, 5500, 'info'],
    ['MASTER', 5500, 6004, 'good'],
  ]);
  t.same(band('lb/haproxy web1'), [['UP', 600, 6004, 'good']]);
  t.same(
    band('address 10.0.0.100'),
    [
      ['lb1', 500, 2100, 'good'],
      ['nobody', 2100, 3000, 'bad'],
      ['lb3', 3000, 5500, 'good'],
      ['lb2 + lb3', 5500, 6004, 'bad'],
    ],
    "the VIP's holder, the gap between holders, and two at once",
  );
  t.equal(d.events.length, 11, 'the timed events, not the steps, checks or notes');
  t.same(figuresOf(d.checks[0]), [
    ['takeover_ms', 3500],
    ['bound_ms', 4000],
  ]);
  t.throws(() => reportData(failover().slice(0, -1)), /no summary/);
});

t.test('an amphora and a load balancer: bands by their status', async (t) => {
  const events: LabEvent[] = [
    {
      type: 'service',
      kind: 'octavia',
      event: 'amphora',
      source: 'ctl/octavia',
      text: 'x',
      tone: 'info',
      amphora: '0123456789abcdef',
      status: 'BOOTING',
      at_ms: 10,
    },
    { type: 'service', kind: 'octavia', event: 'loadbalancer', source: 'ctl/octavia', text: 'y', tone: 'good', status: 'ACTIVE', at_ms: 20 },
    { type: 'service', kind: 'haproxy', event: 'log', source: 'lb/haproxy', text: 'says', tone: 'info', quoted: true, at_ms: 30 },
    { type: 'summary', scenario: 's', lab: 'l', ok: false, checks: [] },
  ];
  t.same(
    reportData(events).bands.map((b) => b.label),
    ['ctl/octavia amphora 01234567', 'ctl/octavia loadbalancer'],
    'a log line is no state',
  );
});

t.test('availabilityOf: per second of sending, rounded percent', async (t) => {
  t.same(availabilityOf([]), []);
  t.same(
    availabilityOf([
      [999, 1, 1],
      [10, 0, 1],
      [1000, 1, 1],
      [1500, 1, 1],
      [1999, 0, 1],
    ]),
    [
      { at_ms: 0, percent: 50 },
      { at_ms: 1000, percent: 67 },
    ],
  );
});

t.test("probeEvent: a prober's samples on the observers' clock, in the order sent", async (t) => {
  const probe = { name: 'http', from: 'ext', url: 'http://10.0.0.1/', intervalMs: 100, timeoutMs: 1000 };
  const e = probeEvent(
    probe as never,
    [
      { seq: 2, t: 10_300, ok: false, ms: 1000.4 },
      { seq: 1, t: 10_200, ok: true, ms: 2.6 },
    ],
    10_000,
  );
  t.same(e, {
    type: 'probe',
    name: 'http',
    target: 'http://10.0.0.1/',
    from: 'ext',
    interval_ms: 100,
    samples: [
      [200, 1, 3],
      [300, 0, 1000],
    ],
  });
});

t.test("the page: a scenario's words stay text, the data cannot end its script, nothing can be fetched", async (t) => {
  const events = failover();
  const evil = '</script><script>alert(1)</script><img src=http://x/>';
  const last = events.at(-1) as Extract<LabEvent, { type: 'summary' }>;
  last.scenario = evil;
  last.checks[0].detail = evil;
  events.push({ type: 'service', kind: 'haproxy', event: 'log', source: 'lb/haproxy', text: `says ${evil}\x1b[31m`, tone: 'bad', at_ms: 100 });
  const page = reportHtml(reportData(events), { chartJs: '/* chart */', generatedAt: 'now' });
  t.notOk(page.includes('<script>alert'), 'no script of the scenario');
  t.notOk(page.includes('<img'), 'no element of the scenario');
  t.equal(page.match(/<\/script>/g)?.length, 3, 'only its own three scripts end');
  t.match(page, '&lt;/script&gt;&lt;script&gt;alert(1)');
  t.match(page, '\\u003c/script>', 'in the data, < is escaped');
  t.notOk(page.includes('\x1b'), 'a terminal escape made visible, not kept');
  t.match(page, /<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
  t.match(page, 'This run did not record its topology.');
  const drawn = reportHtml(reportData([{ type: 'topology', graph: graphJson(loadFixtureLab()) }, ...failover()]), {
    chartJs: '',
    topologySvg: '<?xml version="1.0"?>\n<!DOCTYPE svg>\n<svg id="t"><text>vm1</text></svg>\n',
    generatedAt: 'now',
  });
  t.match(drawn, '<div class="topology"><svg id="t"><text>vm1</text></svg>', "dot's SVG without its prolog");
  t.notOk(drawn.includes('<?xml'));
  const noDot = reportHtml(reportData([{ type: 'topology', graph: graphJson(loadFixtureLab()) }, ...failover()]), { chartJs: '', generatedAt: 'now' });
  t.match(noDot, "Graphviz's dot was not found here");
});

t.test('the page lists each check with its figures, and an outage table for a failover of routers', async (t) => {
  const events = failover();
  const last = events.at(-1) as Extract<LabEvent, { type: 'summary' }>;
  last.ok = false;
  last.checks.push({
    name: 'agent-down',
    ok: false,
    detail: 'd',
    answers: [
      {
        answer: 'L3 HA',
        answered: 9,
        of: 10,
        p50_ms: 5000,
        p95_ms: 7000,
        max_ms: 8000,
        two_masters: 0,
        no_master: 1,
        sessions: { of: 10, lost: 1, p50_ms: 1, max_ms: 2 },
      },
    ],
  });
  const page = reportHtml(reportData(events), { chartJs: '', generatedAt: 'now' });
  t.match(page, '<span class="verdict fail" id="verdict">FAIL</span>');
  t.match(page, '<span class="figure" data-figure="takeover_ms" data-value="3500">takeover_ms = 3500</span>');
  t.match(page, /<tr data-check="agent-down">.*FAIL/);
  t.match(page, '<tr><td>L3 HA</td><td>9/10</td><td>5000</td><td>7000</td><td>8000</td><td>0 / 1</td><td>1/10</td>');
});

t.test('parseRunEvents and checkReportPath: each mistake named, with its line', async (t) => {
  t.same(parseRunEvents('{"type":"note","message":"m"}\n\n', 'run.ndjson'), [{ type: 'note', message: 'm' }]);
  t.throws(() => parseRunEvents('{"type":"note"}\nnot json\n', 'run.ndjson'), /^run\.ndjson:2: not a JSON line$/);
  t.throws(() => parseRunEvents('[1]\n', 'r'), /^r:1: not one of lablb's events/);
  t.throws(() => parseRunEvents('null\n', 'r'), /^r:1: not one of lablb's events/);
  t.throws(() => checkReportPath('/tmp/x.txt'), /name it \*\.html/);
  t.throws(() => checkReportPath('/no/such/dir/x.html'), /no directory \/no\/such\/dir/);
  const dir = mkdtempSync(join(tmpdir(), 'lablb-report-path-'));
  t.teardown(() => rmSync(dir, { recursive: true }));
  mkdirSync(join(dir, 'd.html'));
  t.throws(() => checkReportPath(join(dir, 'd.html')), /: a directory$/, 'not when it would replace a directory');
  t.equal(checkReportPath(join(dir, 'r.html')), join(dir, 'r.html'));
});

t.test('writeRunReport: the topology drawn by dot when it is here, a clear refusal without a summary', async (t) => {
  const host = fakeHost({ stdout: { 'dot -Tsvg': '<svg><text>drawn</text></svg>' } });
  const events = [{ type: 'topology', graph: graphJson(loadFixtureLab()) } as LabEvent, ...failover()];
  await writeRunReport(events, '/r/run.html', host);
  t.match(host.files.get('/r/run.html'), '<svg><text>drawn</text></svg>');
  t.match(host.log.join('\n'), /run dot -Tsvg <<\d+ lines/);
  await t.rejects(writeRunReport(failover().slice(0, -1), '/r/x.html', host, 'run.ndjson'), /run\.ndjson has no summary line/);
});

t.test('lablb report: a file that is missing or not a run, named', async (t) => {
  const missing = lablb('report', '/no/such/run.ndjson');
  t.equal(missing.code, 2);
  t.match(missing.err, 'lablb: cannot read /no/such/run.ndjson');
  const dir = mkdtempSync(join(tmpdir(), 'lablb-report-unit-'));
  t.teardown(() => rmSync(dir, { recursive: true }));
  const file = join(dir, 'run.ndjson');
  writeFileSync(file, '{"type":"note","message":"m"}\n{oops\n');
  const bad = lablb('report', file);
  t.equal(bad.code, 2);
  t.match(bad.err, `lablb: ${file}:2: not a JSON line`);
  writeFileSync(
    file,
    failover()
      .map((e) => JSON.stringify(e))
      .join('\n'),
  );
  const good = lablb('report', file, '-o', join(dir, 'out.html'));
  t.equal(good.code, 0, good.err);
  t.ok(existsSync(join(dir, 'out.html')));
  t.notOk(existsSync(join(dir, 'run.html')), '-o says where');
});

t.test('run --report: a path that cannot be written is refused before anything is built', async (t) => {
  const r = lablb('run', 'floating-ip-lb', '--report', '/no/such/dir/run.html');
  t.equal(r.code, 2);
  t.equal(r.err, 'lablb: --report /no/such/dir/run.html: no directory /no/such/dir\n');
  const named = lablb('run', 'floating-ip-lb', '--report', 'run.txt');
  t.match(named.err, 'name it *.html');
});

t.test("the page shows each capture's packets and the pcap's name; a long one says it is cut", async (t) => {
  const events = failover();
  events.splice(-1, 0, {
    type: 'capture',
    name: 'adverts',
    port: 'lb2/eth0',
    file: '/home/me/run.adverts.pcap',
    packets: 3,
    lines: [
      { at_ms: 1500, text: '10.0.0.2 > 224.0.0.18: VRRPv2, Advertisement <b>' },
      { at_ms: 2600, text: 'Request who-has 10.0.0.100 tell 10.0.0.100' },
    ],
  });
  const d = reportData(events);
  t.same(
    d.captures.map((c) => [c.name, c.packets, c.lines.length]),
    [['adverts', 3, 2]],
  );
  const page = reportHtml(d, { chartJs: '', generatedAt: 'now' });
  t.match(page, '<h2>Captures</h2><h3 data-capture="adverts">capture adverts on lb2/eth0: 3 packets, in run.adverts.pcap</h3>');
  t.match(page, '<tr><td>1.500 s</td><td>10.0.0.2 &gt; 224.0.0.18: VRRPv2, Advertisement &lt;b&gt;</td></tr>');
  t.match(page, 'The first 2 of 3 packets; the pcap has them all.');
  t.notOk(reportHtml(reportData(failover()), { chartJs: '', generatedAt: 'now' }).includes('<h2>Captures</h2>'), 'no section without a capture');
});
