// A run's report: the page made of its events, with every word of a scenario escaped and
// nothing it could fetch; and the `report` verb's mistakes, each named.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { LabEvent } from '../../src/kinds/events.js';
import { reportData } from '../../src/report/run-data.js';
import { reportHtml } from '../../src/report/run-report.js';
import { checkReportPath, parseRunEvents, writeRunReport } from '../../src/commands/report.js';
import { graphJson } from '../../src/report/graph.js';
import { fakeHost } from '../fake-host.js';
import { lablb, loadFixtureLab } from '../helpers.js';
import { failover } from '../run-events.js';

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
