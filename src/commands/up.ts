// `lablb up` and `lablb run`: build a lab (and for run, experiment and tear down).
import { realDriver } from '../engine/driver.js';
import { applyLab, prepareLab, type PreparedLab } from '../engine/lifecycle.js';
import { teardownLab } from '../engine/teardown.js';
import { chooseDatapath } from '../drivers/host.js';
import { EXIT_CANNOT_RUN, EXIT_CHECK_FAILED, EXIT_OK } from '../errors.js';
import { runExperiment } from '../experiment/run.js';
import { buildPlan } from '../plan/plan.js';
import { planToShell } from '../plan/ops.js';
import type { CheckResult } from '../report/events.js';
import type { Lab } from '../model.js';
import { loadLab } from './common.js';
import type { CommandContext } from './context.js';
import { frameStats } from './frame-stats.js';
import { requireRoot } from '../engine/preflight.js';

export async function explain(scenario: string, name: string | undefined, ctx: CommandContext): Promise<number> {
  const lab = loadLab(scenario, name);
  const datapath = await chooseDatapath(lab.switch.datapath);
  ctx.out(planToShell(buildPlan(lab, { datapath })).trimEnd());
  return EXIT_OK;
}

/** Builds the lab; on any failure removes what was built and rethrows. */
async function build(lab: Lab, ctx: CommandContext): Promise<PreparedLab> {
  const prepared = await prepareLab(lab, realDriver, ctx.reporter.event);
  try {
    await applyLab(prepared, ctx.reporter.event, ctx.signal);
    return prepared;
  } catch (err) {
    await tearDown(prepared, ctx);
    throw err;
  }
}

async function tearDown(p: PreparedLab, ctx: CommandContext): Promise<void> {
  const started = performance.now();
  ctx.reporter.event({ type: 'lab', lab: p.lab.name, state: 'tearing-down' });
  await teardownLab(p.lab.dir, realDriver);
  ctx.reporter.event({ type: 'lab', lab: p.lab.name, state: 'down', ms: Math.round(performance.now() - started) });
}

export async function up(scenario: string, name: string | undefined, ctx: CommandContext): Promise<number> {
  const lab = loadLab(scenario, name);
  requireRoot('up');
  const p = await build(lab, ctx);
  if (!ctx.json) {
    const some = p.lab.nodes.find((n) => n.role === 'external') ?? p.lab.nodes[0];
    ctx.out(`Try: sudo lablb exec ${some.name} -- ip addr`);
    ctx.out(`     sudo lablb status ${p.lab.name}`);
    ctx.out(`Remove it with: sudo lablb down ${p.lab.name}`);
  }
  return EXIT_OK;
}

export async function run(scenario: string, name: string | undefined, ctx: CommandContext, tui: boolean): Promise<number> {
  const lab = loadLab(scenario, name);
  requireRoot('run');
  // The live screen is loaded only when used: ink and react are not needed otherwise.
  const screen = tui ? await (await import('../ui/screen.js')).openScreen(lab, 'run', ctx.abort) : undefined;
  const runCtx = screen ? { ...ctx, reporter: screen.store } : ctx;
  let checks: CheckResult[] = [];
  let failure: unknown;
  let p: PreparedLab | undefined;
  try {
    p = await build(lab, runCtx);
    screen?.observe(p.lab);
    checks = await runExperiment(p, realDriver, runCtx.reporter.event, ctx.signal, (live) => screen?.store.attach(live));
  } catch (err) {
    failure = err;
  } finally {
    if (p) await tearDown(p, runCtx);
    const frames = screen?.close();
    if (frames && ctx.debug) ctx.err(frameStats(frames));
  }
  if (failure) throw failure;
  const interrupted = ctx.signal.aborted;
  const ok = !interrupted && checks.length > 0 && checks.every((c) => c.ok);
  const summary = { type: 'summary' as const, scenario: lab.scenario, lab: lab.name, ok, checks };
  if (screen) {
    // The screen is gone; leave the results on the terminal.
    for (const c of checks) ctx.reporter.event({ type: 'check', ...c });
  }
  ctx.reporter.event(summary);
  if (interrupted) return EXIT_CANNOT_RUN;
  return ok ? EXIT_OK : EXIT_CHECK_FAILED;
}
