// A run's report as one self-contained HTML file: the topology (Graphviz's SVG), each probe's
// latency and availability over the run with the steps marked, a band of states for each VRRP
// instance, member, amphora and moving address, the checks with their figures, and the events.
// Charts are drawn by Chart.js, inlined; the page's policy forbids every fetch, so it opens
// offline and a scenario's words can only ever be text in it.
import { basename } from 'node:path';
import { safeText } from '../safe-text.js';
import { figuresOf, type ReportData } from './run-data.js';

export interface ReportAssets {
  /** Chart.js's UMD build, inlined. */
  chartJs: string;
  /** The topology drawn by dot, or undefined when dot is missing. */
  topologySvg?: string;
  generatedAt: string;
}

const html = (text: string | number | boolean) =>
  safeText(String(text)).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON inside a script element: nothing in it can close the element. */
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

/** The SVG element alone: dot's XML declaration and doctype do not belong inside HTML. */
function svgElement(svg: string): string {
  const at = svg.indexOf('<svg');
  return at >= 0 ? svg.slice(at) : '';
}

const POLICY = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:";

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1d2330; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #dde2ea; padding-bottom: 4px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 10px; color: #fff; font-weight: 600; }
.pass { background: #1f8a4c; } .fail { background: #c0392b; }
.meta { color: #5a6475; } #events td:first-child, .capture td:first-child { white-space: nowrap; } .capture td { font-family: ui-monospace, monospace; font-size: 12px; } .chart { position: relative; height: 240px; } .topology svg { max-width: 100%; height: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px; } td, th { border-bottom: 1px solid #e6e9ef; padding: 4px 6px; text-align: left; vertical-align: top; }
.figure { display: inline-block; margin: 0 10px 2px 0; font-family: ui-monospace, monospace; font-size: 12px; }
.tone-good { color: #1f8a4c; } .tone-bad { color: #c0392b; } .tone-info { color: #1d2330; }
`;

function checksTable(data: ReportData): string {
  const rows = data.checks.map(
    (c) =>
      `<tr data-check="${html(c.name)}"><td>${html(c.name)}</td><td><span class="verdict ${c.ok ? 'pass' : 'fail'}">${c.ok ? 'PASS' : 'FAIL'}</span></td>` +
      `<td>${html(c.detail)}</td><td>${figuresOf(c)
        .map(([k, v]) => `<span class="figure" data-figure="${html(k)}" data-value="${html(v)}">${html(k)} = ${html(v)}</span>`)
        .join('')}</td></tr>`,
  );
  return `<table id="checks"><thead><tr><th>check</th><th>result</th><th>what it measured</th><th>figures</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** Seed 002's answers side by side, for a step that failed something over. */
function outageTables(data: ReportData): string {
  return data.checks
    .filter((c) => c.answers?.length)
    .map((c) => {
      const rows = c.answers!.map(
        (r) =>
          `<tr><td>${html(r.answer)}</td><td>${r.answered}/${r.of}</td><td>${r.p50_ms}</td><td>${r.p95_ms}</td><td>${r.max_ms}</td>` +
          `<td>${r.two_masters === undefined ? '-' : `${r.two_masters} / ${r.no_master}`}</td><td>${r.sessions ? `${r.sessions.lost}/${r.sessions.of}` : '-'}</td><td>${html(r.note ?? '')}</td></tr>`,
      );
      return `<h3>${html(c.name)}: each answer, from the failure to its floating IPs' first answer</h3><table class="outage"><thead><tr><th>answer</th><th>answered</th><th>p50 ms</th><th>p95 ms</th><th>max ms</th><th>two masters / none</th><th>sessions lost</th><th>note</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
    })
    .join('');
}

/** Each capture step's packets as tcpdump decoded them, and the pcap's name beside the page. */
function capturesSection(data: ReportData): string {
  if (data.captures.length === 0) return '';
  const one = (c: ReportData['captures'][number]) => {
    const rows = c.lines.map((l) => `<tr><td>${(l.at_ms / 1000).toFixed(3)} s</td><td>${html(l.text)}</td></tr>`);
    const more = c.packets > c.lines.length ? `<p class="meta">The first ${c.lines.length} of ${c.packets} packets; the pcap has them all.</p>` : '';
    return `<h3 data-capture="${html(c.name)}">capture ${html(c.name)} on ${html(c.port)}: ${c.packets} packets, in ${html(basename(c.file))}</h3><table class="capture"><tbody>${rows.join('')}</tbody></table>${more}`;
  };
  return `<h2>Captures</h2>${data.captures.map(one).join('')}`;
}

function eventsTable(data: ReportData): string {
  const rows = data.events.map((e) => `<tr class="tone-${e.tone}"><td>${(e.at_ms / 1000).toFixed(1)} s</td><td>${html(e.text)}</td></tr>`);
  return `<table id="events"><thead><tr><th>at</th><th>event</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

/** The page's own script: reads the data and draws the charts with Chart.js. */
const PAGE_SCRIPT = `
const data = JSON.parse(document.getElementById('lablb-data').textContent);
const sec = (ms) => ms / 1000;
const TONES = { good: '#2e9e5b', bad: '#d0463a', info: '#7f8ea3' };
window.lablbCharts = [];
const xAxis = { type: 'linear', min: 0, max: sec(data.end_ms), title: { display: true, text: 'seconds since observing began' } };
const stepLines = { id: 'stepLines', afterDatasetsDraw(chart) {
  const { ctx, chartArea: a, scales: { x } } = chart;
  ctx.save(); ctx.strokeStyle = '#9aa3b2'; ctx.setLineDash([4, 3]); ctx.fillStyle = '#4a5263'; ctx.font = '10px sans-serif';
  data.steps.forEach((s, i) => {
    const px = x.getPixelForValue(sec(s.from_ms));
    if (px < a.left || px > a.right) return;
    // Names staggered on three lines: steps close together stay readable.
    ctx.beginPath(); ctx.moveTo(px, a.top); ctx.lineTo(px, a.bottom); ctx.stroke(); ctx.fillText(s.name, px + 3, a.top + 10 + 12 * (i % 3));
  });
  ctx.restore();
} };
const common = { animation: false, responsive: true, maintainAspectRatio: false };
data.probes.forEach((p, i) => {
  const chart = new Chart(document.getElementById('probe-' + i), {
    type: 'scatter',
    data: { datasets: [
      { label: 'answered (ms)', data: p.samples.filter((s) => s[1] === 1).map((s) => ({ x: sec(s[0]), y: s[2] })), pointRadius: 1.5, backgroundColor: '#3b6fd4', yAxisID: 'y' },
      { label: 'lost', data: p.samples.filter((s) => s[1] === 0).map((s) => ({ x: sec(s[0]), y: 0 })), pointStyle: 'crossRot', pointRadius: 4, borderColor: '#d0463a', yAxisID: 'y' },
      { label: 'answered per second (%)', type: 'line', data: p.availability.map((b) => ({ x: sec(b.at_ms), y: b.percent })), borderColor: '#2e9e5b', borderWidth: 1.5, pointRadius: 0, stepped: true, yAxisID: 'availability' },
    ] },
    options: { ...common, scales: { x: xAxis, y: { title: { display: true, text: 'ms' }, beginAtZero: true }, availability: { position: 'right', min: 0, max: 100, title: { display: true, text: '% answered' }, grid: { drawOnChartArea: false } } } },
    plugins: [stepLines],
  });
  window.lablbCharts.push(chart);
});
const rows = [
  { label: 'steps', segments: data.steps.map((s) => ({ from_ms: s.from_ms, to_ms: s.to_ms ?? data.end_ms, state: s.name, tone: s.ok === false ? 'bad' : 'good' })) },
  ...data.bands,
];
const points = rows.flatMap((r) => r.segments.map((s) => ({ x: [sec(s.from_ms), sec(Math.max(s.to_ms, s.from_ms + 50))], y: r.label, state: s.state, tone: s.tone })));
const bandsCanvas = document.getElementById('bands');
bandsCanvas.parentElement.style.height = (60 + 26 * rows.length) + 'px';
const stateText = { id: 'stateText', afterDatasetsDraw(chart) {
  const { ctx } = chart; ctx.save(); ctx.fillStyle = '#fff'; ctx.font = '10px sans-serif'; ctx.textBaseline = 'middle';
  chart.getDatasetMeta(0).data.forEach((bar, i) => {
    const { x, base, y } = bar.getProps(['x', 'base', 'y'], true);
    const text = points[i].state;
    if (Math.abs(x - base) > ctx.measureText(text).width + 6) ctx.fillText(text, Math.min(x, base) + 3, y);
  });
  ctx.restore();
} };
window.lablbCharts.push(new Chart(bandsCanvas, {
  type: 'bar',
  data: { labels: rows.map((r) => r.label), datasets: [{ label: 'state', data: points, backgroundColor: points.map((p) => TONES[p.tone] ?? TONES.info), grouped: false, barPercentage: 0.8, categoryPercentage: 1, borderSkipped: false }] },
  options: { ...common, indexAxis: 'y', scales: { x: xAxis }, plugins: { legend: { display: false }, tooltip: { callbacks: { label: (c) => c.raw.state + ' (' + c.raw.x[0].toFixed(1) + ' s to ' + c.raw.x[1].toFixed(1) + ' s)' } } } },
  plugins: [stateText],
}));
document.body.dataset.drawn = String(window.lablbCharts.length);
`;

export function reportHtml(data: ReportData, assets: ReportAssets): string {
  const passed = data.checks.filter((c) => c.ok).length;
  const topology = assets.topologySvg
    ? `<div class="topology">${svgElement(assets.topologySvg)}</div>`
    : `<p class="meta">${data.graph ? "Graphviz's dot was not found here, so the topology is not drawn (lablb doctor --fix installs it)." : 'This run did not record its topology.'}</p>`;
  const probes = data.probes.map(
    (p, i) =>
      `<h3>probe ${html(p.name)}: ${html(p.target)} from ${html(p.from)}, every ${p.interval_ms} ms: ${p.answered} answered, ${p.lost} lost</h3><div class="chart"><canvas id="probe-${i}"></canvas></div>`,
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${POLICY}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>lablb run: ${html(data.scenario)} (${data.ok ? 'PASS' : 'FAIL'})</title>
<style>${STYLE}</style></head>
<body>
<h1>lablb run: ${html(data.scenario)} <span class="verdict ${data.ok ? 'pass' : 'fail'}" id="verdict">${data.ok ? 'PASS' : 'FAIL'}</span></h1>
<p class="meta">lab ${html(data.lab)}, ${passed} of ${data.checks.length} checks passed, ${(data.end_ms / 1000).toFixed(1)} s observed; report written ${html(assets.generatedAt)}</p>
<h2>Topology</h2>${topology}
<h2>Traffic</h2>${probes.join('') || '<p class="meta">No probe ran.</p>'}
<h2>States</h2><p class="meta">Each step, and everything with a state (VRRP instances, pool members, amphorae, addresses moving between nodes), over the run.</p><div class="chart"><canvas id="bands"></canvas></div>
<h2>Checks</h2>${checksTable(data)}${outageTables(data)}
${capturesSection(data)}
<h2>Events</h2>${eventsTable(data)}
<script>${assets.chartJs}</script>
<script id="lablb-data" type="application/json">${scriptJson(data)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
