// `lablb report run.ndjson` and `lablb run S --report FILE.html`: a run's events (the lines
// `run --json` prints) made into one HTML page that opens offline.
import { createRequire } from 'node:module';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { HostDriver } from '../host.js';
import { UserError } from '../errors.js';
import type { LabEvent } from '../kinds/events.js';
import { graphDot } from '../report/graph.js';
import { reportData } from '../report/run-data.js';
import { reportHtml } from '../report/run-report.js';
import type { CommandContext } from './context.js';
import { drawSvg } from './graph.js';

/** Chart.js's browser build, from wherever npm put the package. */
function chartJs(): string {
  const main = createRequire(import.meta.url).resolve('chart.js');
  const text = readFileSync(resolve(dirname(main), 'chart.umd.min.js'), 'utf8');
  // Inlined in a script element: it must not be able to end it.
  if (/<\/script/i.test(text)) throw new Error('chart.js holds "</script": it cannot be inlined');
  return text;
}

/** The events of a run, one JSON object per line; a line that is not one is named. */
export function parseRunEvents(text: string, file: string): LabEvent[] {
  return text.split('\n').flatMap((line, i) => {
    if (!line.trim()) return [];
    let e: unknown;
    try {
      e = JSON.parse(line);
    } catch {
      throw new UserError(`${file}:${i + 1}: not a JSON line`, 'a report is made from what `lablb run --json` prints');
    }
    if (typeof e !== 'object' || e === null || typeof (e as { type?: unknown }).type !== 'string')
      throw new UserError(`${file}:${i + 1}: not one of lablb's events (no "type")`, 'a report is made from what `lablb run --json` prints');
    return [e as LabEvent];
  });
}

/** Where a report may be written: its directory must exist, and it must not be a directory. */
export function checkReportPath(file: string): string {
  const path = resolve(file);
  if (!path.endsWith('.html')) throw new UserError(`--report ${file}: the report is an HTML file; name it *.html`);
  if (!existsSync(dirname(path))) throw new UserError(`--report ${file}: no directory ${dirname(path)}`);
  if (existsSync(path) && statSync(path).isDirectory()) throw new UserError(`--report ${file}: a directory`);
  return path;
}

/** The report of a run's events, written to `file`; the topology is drawn when dot is here. */
export async function writeRunReport(events: LabEvent[], file: string, host: HostDriver, source = 'the run'): Promise<void> {
  const hasSummary = events.some((e) => e.type === 'summary');
  if (!hasSummary) throw new UserError(`${source} has no summary line: it is not the whole output of a \`lablb run --json\``);
  const data = reportData(events);
  const topologySvg = data.graph && host.which('dot') ? await drawSvg(host, graphDot(data.graph)) : undefined;
  host.writeFile(file, reportHtml(data, { chartJs: chartJs(), topologySvg, generatedAt: new Date().toISOString() }), 0o644);
}

export async function report(file: string, output: string | undefined, ctx: CommandContext): Promise<number> {
  const text = ctx.host.readFile(resolve(file));
  if (text === undefined) throw new UserError(`cannot read ${file}`, 'save a run first: sudo lablb run floating-ip-lb --json > run.ndjson');
  const out = checkReportPath(output ?? `${file.replace(/\.(nd)?json$/, '')}.html`);
  await writeRunReport(parseRunEvents(text, file), out, ctx.host, file);
  ctx.out(`Report written to ${out}`);
  return 0;
}
