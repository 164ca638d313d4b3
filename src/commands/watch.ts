// `lablb watch <lab>` (or `status --watch <lab>`): the live screen for a lab brought up with
// `up`, without an experiment. With --probe, the scenario's prober sends its traffic while the
// screen is open (bounded: it stops when the screen closes, or after an hour).
import { requireRoot } from '../engine/preflight.js';
import { EXIT_OK, UserError } from '../errors.js';
import { Prober } from '../experiment/prober-client.js';
import { labByName, labsOnHost } from './common.js';
import type { CommandContext } from './context.js';
import { frameStats } from './frame-stats.js';

const PROBE_MAX_SECONDS = 3600;

export async function watch(name: string | undefined, ctx: CommandContext, tui: boolean, probe: boolean): Promise<number> {
  requireRoot('watch');
  const labs = labsOnHost();
  const target = name ?? (labs.length === 1 ? labs[0].name : undefined);
  if (!target) {
    throw new UserError(labs.length ? 'which lab? several are up' : 'no lab is up', labs.length ? `labs: ${labs.map((l) => l.name).join(', ')}` : 'start one with: sudo lablb up floating-ip-lb');
  }
  const lab = labByName(target)?.record?.lab;
  if (!lab) throw new UserError(`no lab named ${target} on this host`, 'see: sudo lablb status');
  if (!tui) throw new UserError('watch draws a live screen and needs a terminal', 'for a one-off look: sudo lablb status');
  const { openScreen } = await import('../ui/screen.js');
  const screen = await openScreen(lab, 'watch', ctx.abort);
  if (probe && !lab.experiment) throw new UserError(`scenario ${lab.scenario} has no prober to run`);
  const prober = probe && lab.experiment ? Prober.start(lab.name, lab.experiment.probe, PROBE_MAX_SECONDS) : undefined;
  screen.store.attach({ prober });
  screen.observe(lab);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  prober?.stop();
  const frames = screen.close();
  if (ctx.debug) ctx.err(frameStats(frames));
  ctx.out(`Stopped watching ${lab.name}; it is still up (sudo lablb down ${lab.name} removes it).`);
  return EXIT_OK;
}
