// Reporters turn events into output: readable lines for a person or a log, JSON lines for machines.
import { safeJson, safeText } from '../safe-text.js';
import { eventText, outageTable, type LabEvent } from '../kinds/events.js';

/** A capture's first packets, decoded, under its line (--json and the report have more). */
const CAPTURE_LINES = 20;
/** Up to this many tasks, a line each as it starts. */
const TASK_LINES_AT_MOST = 200;

export interface Reporter {
  event(e: LabEvent): void;
}

type Write = (line: string) => void;

const useColor = (stream: NodeJS.WriteStream) => stream.isTTY && !process.env.NO_COLOR;

export function jsonReporter(write: Write): Reporter {
  return { event: (e) => write(safeJson(e)) };
}

/** The screen's panels as lines: each kind's rows under its panel's title, then drops. */
export function factsLines(e: Extract<LabEvent, { type: 'facts' }>): string[] {
  const dropped = Object.entries(e.security).flatMap(([port, s]) => {
    const drops = Object.entries(s.drops)
      .filter(([, n]) => n > 0)
      .map(([why, n]) => `${why} ${n}`);
    return drops.length ? [`${port}: dropped ${drops.join(', ')}`] : [];
  });
  const panels = [...e.panels, { title: 'Port security', lines: dropped }].filter((p) => p.lines.length > 0);
  if (panels.length === 0) return [];
  return [`  at the ${e.when}:`, ...panels.flatMap((p) => [`    ${safeText(p.title)}:`, ...p.lines.map((l) => `      ${safeText(l)}`)])];
}

export function lineReporter(raw: Write, color = useColor(process.stdout)): Reporter {
  const write = (line: string) => raw(safeText(line));
  // Event text may carry a daemon's log line or a scenario's words: escapes are made visible
  // before lablb's own colours go around it.
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${safeText(s)}\x1b[0m` : safeText(s));
  const green = (s: string) => paint(32, s);
  const red = (s: string) => paint(31, s);
  const dim = (s: string) => paint(2, s);
  const datapathName = (d?: string) => (d === 'netdev' ? 'userspace (netdev) datapath' : 'kernel datapath');
  return {
    event(e) {
      switch (e.type) {
        case 'lab':
          if (e.state === 'building') write(`Building lab ${e.lab} on a private Open vSwitch, ${datapathName(e.datapath)}`);
          else if (e.state === 'ready') write(`Lab ${e.lab} is up (${e.ms} ms)`);
          else if (e.state === 'tearing-down') write(`Tearing down lab ${e.lab}`);
          else write(`Lab ${e.lab} removed${e.ms !== undefined ? ` (${e.ms} ms)` : ''}`);
          return;
        case 'task':
          // A large lab's thousands of tasks as a line per tenth, the first and the last.
          if (e.total <= TASK_LINES_AT_MOST || e.index === 1 || e.index === e.total || e.index % Math.ceil(e.total / 10) === 0)
            raw(dim(`  [${e.index}/${e.total}] ${e.title}`));
          return;
        case 'timing':
        case 'probe':
        case 'topology':
          return; // --json carries them, for the benchmark and the run's report
        case 'capture':
          write(`  capture ${e.name} on ${e.port}: ${e.packets} packet${e.packets === 1 ? '' : 's'} (${e.file})`);
          for (const l of e.lines.slice(0, CAPTURE_LINES)) raw(dim(`    ${(l.at_ms / 1000).toFixed(3)} s ${safeText(l.text)}`));
          return;
        case 'note':
          write(e.message);
          return;
        case 'service':
          if (e.quoted) raw(dim(`    ${e.text}`));
          else write(`    ${e.text}`);
          return;
        case 'address':
        case 'security':
        case 'security-group':
        case 'problem':
          write(`    ${eventText(e)}`);
          return;
        case 'facts':
          for (const line of factsLines(e)) raw(dim(line));
          return;
        case 'step':
          raw(dim(`  step ${e.index}/${e.total}: ${e.name} (${e.kind})`));
          return;
        case 'check':
          raw(`  ${e.ok ? green('PASS') : red('FAIL')} ${safeText(`${e.name}: ${e.detail}`)}`);
          return;
        case 'summary': {
          const rows = e.checks.flatMap((c) => c.answers ?? []);
          if (rows.length) {
            write("  each answer, from the failure to its floating IPs' first answer:");
            for (const line of outageTable(rows)) write(`    ${line}`);
          }
          const passed = e.checks.filter((c) => c.ok).length;
          const line = `${passed}/${e.checks.length} checks passed`;
          raw(e.ok ? green(line) : red(line));
          return;
        }
      }
    },
  };
}
