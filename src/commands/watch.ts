// `lablb watch <lab>` (or `status --watch <lab>`): the live screen for a lab brought up with
// `up`, without an experiment. With --probe, the scenario's probes send their traffic while the
// screen is open (bounded: they stop when the screen closes, or after an hour).
import { requireRoot } from '../engine/preflight.js';
import { EXIT_OK, UserError } from '../errors.js';
import { Prober } from '../experiment/prober-client.js';
import { Observation } from '../observe/hub.js';
import type { Lab } from '../model.js';
import { labByName, labUp } from './common.js';
import type { CommandContext } from './context.js';
import { frameStats } from './frame-stats.js';

const PROBE_MAX_SECONDS = 3600;

/** Nodes a controller in the lab added or removed (through the lab's API, in another process)
 *  are in the lab's record: the screen follows it. */
function followRecord(lab: Lab, observation: Observation): void {
  const now = labByName(lab.name)?.record?.lab.nodes;
  if (!now || now.map((n) => n.name).join() === lab.nodes.map((n) => n.name).join()) return;
  lab.nodes.splice(0, lab.nodes.length, ...now);
  observation.nodesChanged();
}

export async function watch(name: string | undefined, ctx: CommandContext, tui: boolean, probe: boolean): Promise<number> {
  requireRoot(ctx.host, 'watch');
  const lab = labUp(name);
  // Everything that can be refused is refused before the screen takes the terminal.
  if (probe && !lab.experiment?.probes.length)
    throw new UserError(`scenario ${lab.scenario} has no probe to run`, `watch it without --probe: sudo lablb watch ${lab.name}`);
  if (!tui) throw new UserError('watch draws a live screen and needs a terminal', 'for a one-off look: sudo lablb status');
  const { openScreen } = await import('../ui/screen.js');
  const screen = await openScreen(lab, 'watch', ctx.abort);
  const observation = new Observation(lab, ctx.host, screen.store.event);
  const probers = probe ? lab.experiment!.probes.map((p) => Prober.start(ctx.host, lab.name, p, PROBE_MAX_SECONDS)) : [];
  for (const p of probers) observation.addProbe(p.name, p.samples);
  screen.observe(observation, ctx.host);
  const follow = setInterval(() => followRecord(lab, observation), 1000);
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  clearInterval(follow);
  for (const p of probers) p.stop();
  observation.stop();
  const frames = screen.close();
  if (ctx.debug) ctx.err(frameStats(frames));
  ctx.out(`Stopped watching ${lab.name}; it is still up (sudo lablb down ${lab.name} removes it).`);
  return EXIT_OK;
}
