// `lablb up` and `lablb run`: build a lab (and for run, experiment and tear down).
import { buildLab, removeLab, withCleanup } from '../engine/lifecycle.js';
import { requireRoot } from '../engine/preflight.js';
import { EXIT_CANNOT_RUN, EXIT_CHECK_FAILED, EXIT_OK, UserError } from '../errors.js';
import { explainExperiment } from '../experiment/explain.js';
import { runExperiment } from '../experiment/run.js';
import { Observation } from '../observe/hub.js';
import { buildPlan } from '../plan/plan.js';
import { opToShell, planToShell } from '../kinds/ops.js';
import { labApiDaemonOps } from '../experiment/lab-api.js';
import type { CheckResult, Emit, LabEvent } from '../kinds/events.js';
import { graphJson } from '../report/graph.js';
import { checkReportPath, writeRunReport } from './report.js';
import { loadLab } from './common.js';
import type { CommandContext } from './context.js';
import { frameStats } from './frame-stats.js';

/** `up --explain` and `run --explain`: the commands, printed; nothing on the host changes. */
export async function explain(scenario: string, name: string | undefined, ctx: CommandContext, experiment = false): Promise<number> {
  const lab = loadLab(scenario, name, ctx.sets);
  const datapath = await ctx.host.chooseDatapath(lab.switch.datapath);
  ctx.out(planToShell(buildPlan(lab, { datapath })).trimEnd());
  const api = labApiDaemonOps(lab);
  if (!experiment && api.length) ctx.out(['', "# The lab's API for its controller, served while the lab is up:", ...api.map(opToShell)].join('\n'));
  if (experiment) ctx.out(explainExperiment(lab, datapath).trimEnd());
  return EXIT_OK;
}

export async function up(scenario: string, name: string | undefined, ctx: CommandContext): Promise<number> {
  const lab = loadLab(scenario, name, ctx.sets);
  requireRoot(ctx.host, 'up');
  const p = await buildLab(lab, ctx.host, ctx.reporter.event, ctx.signal);
  // A controller in the lab (Octavia's) asks for its nodes through the lab's API: served by a
  // process of the lab's from now on, once the lab's record says it is up.
  try {
    await p.engine.runLane(labApiDaemonOps(lab));
  } catch (err) {
    await withCleanup(
      () => Promise.reject(err as Error),
      () => removeLab(lab.dir, lab.name, ctx.host, ctx.reporter.event),
    );
  }
  if (!ctx.json) {
    const some = p.lab.nodes.find((n) => n.role === 'external') ?? p.lab.nodes[0];
    ctx.out(`Try: sudo lablb exec ${some.name} -- ip addr`);
    ctx.out(`     sudo lablb status ${p.lab.name}`);
    ctx.out(`Remove it with: sudo lablb down ${p.lab.name}`);
  }
  return EXIT_OK;
}

/** Each capture's pcap copied beside the report (run.html -> run.<step>.pcap), and its event
 *  pointed there. */
async function keepCaptures(events: LabEvent[], reportPath: string, ctx: CommandContext): Promise<void> {
  for (const e of events) {
    if (e.type !== 'capture') continue;
    const kept = `${reportPath.replace(/\.html$/, '')}.${e.name}.pcap`;
    await ctx.host.run(['cp', '--', e.file, kept]);
    e.file = kept;
  }
}

export async function run(scenario: string, name: string | undefined, ctx: CommandContext, tui: boolean, reportFile?: string): Promise<number> {
  const lab = loadLab(scenario, name, ctx.sets);
  const reportPath = reportFile === undefined ? undefined : checkReportPath(reportFile);
  requireRoot(ctx.host, 'run');
  if (!lab.experiment)
    throw new UserError(`scenario ${lab.scenario} has no experiment to run`, `bring it up and explore it instead: sudo lablb up ${scenario}`);
  // The live screen is loaded only when used: ink and react are not needed otherwise.
  const screen = tui ? await (await import('../ui/screen.js')).openScreen(lab, 'run', ctx.abort) : undefined;
  const shown = screen ? screen.store.event : ctx.reporter.event;
  // With --report, every event is kept for the page as well.
  const recorded: LabEvent[] = [];
  const emit: Emit = reportPath ? (e) => (recorded.push(e), shown(e)) : shown;
  let checks: CheckResult[] = [];
  try {
    const built = await buildLab(lab, ctx.host, emit, ctx.signal);
    const observation = new Observation(lab, ctx.host, emit);
    screen?.observe(observation, ctx.host);
    checks = await withCleanup(
      async () => {
        const done = await runExperiment({
          lab,
          host: ctx.host,
          apply: (ops) => built.engine.runLane(ops),
          observation,
          emit,
          signal: ctx.signal,
          datapath: built.datapath,
          // status and exec read the lab from its record: nodes added at run time are in it.
          onTopology: (now) => built.journal.writeRecord({ ...built.record, lab: now, state: 'up' }),
        });
        // The lab as it ended, with the nodes added while it ran; its captures kept beside the
        // report before the lab's dir goes.
        if (reportPath) {
          emit({ type: 'topology', graph: graphJson(lab) });
          await keepCaptures(recorded, reportPath, ctx);
        }
        return done;
      },
      async () => {
        observation.stop();
        await removeLab(lab.dir, lab.name, ctx.host, emit);
      },
    );
  } finally {
    const frames = screen?.close();
    if (frames && ctx.debug) ctx.err(frameStats(frames));
  }
  const interrupted = ctx.signal.aborted;
  const ok = !interrupted && checks.length > 0 && checks.every((c) => c.ok);
  const summary = { type: 'summary' as const, scenario: lab.scenario, lab: lab.name, ok, checks };
  if (screen) {
    // The screen is gone; leave the results on the terminal.
    for (const c of checks) ctx.reporter.event({ type: 'check', ...c });
  }
  ctx.reporter.event(summary);
  if (reportPath) {
    await writeRunReport([...recorded, summary], reportPath, ctx.host);
    ctx.err(`Report written to ${reportPath}`);
  }
  if (interrupted) return EXIT_CANNOT_RUN;
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}
