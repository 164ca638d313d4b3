// A run's report for real: the flagship run with --report, and the same page made again from
// its --json lines by `lablb report`; both opened in a real headless browser (Debian's
// chromium, driven by playwright-core) that must fetch nothing, draw every chart, and show the
// figures the run's summary has.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { chromium } from 'playwright-core';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'haproxy', 'iptables-restore', 'chromium', 'dot');

/** What the page shows once drawn, and everything it asked the network for. */
async function openReport(file: string) {
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`file://${file}`);
    await page.waitForSelector('body[data-drawn]', { timeout: 10_000 });
    const shown = await page.evaluate(() => {
      const w = window as unknown as { lablbCharts: { canvas: HTMLCanvasElement; data: { labels?: string[]; datasets: { data: unknown[] }[] } }[] };
      return {
        verdict: document.getElementById('verdict')!.textContent,
        charts: w.lablbCharts.map((c) => ({
          id: c.canvas.id,
          labels: c.data.labels ?? [],
          points: c.data.datasets.map((d) => d.data.length),
          width: c.canvas.width,
        })),
        checks: [...document.querySelectorAll('#checks tr[data-check]')].map((tr) => ({
          name: tr.getAttribute('data-check'),
          verdict: tr.querySelector('.verdict')!.textContent,
          figures: Object.fromEntries([...tr.querySelectorAll('.figure')].map((f) => [f.getAttribute('data-figure'), f.getAttribute('data-value')])),
        })),
        topology: document.querySelector('.topology svg')?.textContent ?? '',
        events: document.querySelectorAll('#events tbody tr').length,
        data: document.getElementById('lablb-data')!.textContent,
      };
    });
    return { shown, requests, errors };
  } finally {
    await browser.close();
  }
}

t.test('run --report, and report from --json: a page that fetches nothing and shows the run', { skip }, async (t) => {
  const before = hostState();
  const dir = mkdtempSync(join(tmpdir(), 'lablb-report-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const html = join(dir, 'run.html');
  const r = lablb('run', 'floating-ip-lb', '--json', '--report', html);
  t.equal(r.code, 0, r.err);
  t.match(r.err, `Report written to ${html}`);
  const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
  t.equal(summary.type, 'summary');

  const { shown, requests, errors } = await openReport(html);
  t.same(requests, [`file://${html}`], 'nothing fetched but the page itself');
  t.same(errors, [], 'no script error');
  t.equal(shown.verdict, 'PASS');
  // One chart per probe, and the states'; each drawn with points in it.
  t.same(
    shown.charts.map((c) => c.id),
    ['probe-0', 'bands'],
  );
  for (const c of shown.charts) t.ok(c.width > 0 && c.points.some((n) => n > 0), `${c.id} drawn with points`);
  const probe = JSON.parse(r.out.split('\n').find((l) => l.includes('"type":"probe"'))!);
  t.equal(shown.charts[0].points[0] + shown.charts[0].points[1], probe.samples.length, 'every probe result plotted');
  t.same(shown.charts[1].labels.slice(0, 2), ['steps', 'qlbaas-01/lb vm2'], "the steps' band, then the member the run killed");
  // The figures in the page are the summary's, check by check.
  t.same(
    shown.checks.map((c) => c.name),
    summary.checks.map((c: { name: string }) => c.name),
  );
  for (const [i, c] of summary.checks.entries()) {
    t.equal(shown.checks[i].verdict, c.ok ? 'PASS' : 'FAIL', c.name);
    for (const [k, v] of Object.entries(c))
      if (!['name', 'ok', 'detail', 'answers'].includes(k) && typeof v !== 'object') t.equal(shown.checks[i].figures[k], String(v), `${c.name}: ${k}`);
  }
  t.equal(shown.checks.find((c) => c.name === 'kill-vm2-web')!.figures.detect_ms, String(summary.checks[1].detect_ms));
  t.match(shown.topology, /qrouter01[^]*qlbaas-01|qlbaas-01[^]*qrouter01/, 'the topology drawn by dot');
  t.ok(shown.events > 3, 'the events listed');

  // The same page from the --json lines, by `lablb report`.
  const ndjson = join(dir, 'run.ndjson');
  writeFileSync(ndjson, r.out);
  const again = lablb('report', ndjson);
  t.equal(again.code, 0, again.err);
  t.match(again.out, `Report written to ${join(dir, 'run.html')}`);
  const remade = await openReport(join(dir, 'run.html'));
  t.same(JSON.parse(remade.shown.data!).checks, JSON.parse(shown.data!).checks, 'the same figures');
  t.same(remade.errors, []);
  t.ok(readFileSync(join(dir, 'run.html'), 'utf8').includes('Content-Security-Policy'));

  t.same(await settledHostState(before), before, 'host as found');
});
