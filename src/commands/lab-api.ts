// `lablb lab-api <lab>`: the lab's API for the control planes inside a lab brought up with
// `up` (Octavia's controller booting and deleting amphorae), served until the lab goes down.
// `up` starts it as one of the lab's processes; `run` serves the same API itself. Each node it
// adds or removes goes through the engine and the lab's journal, and into the lab's record, so
// status, exec, neutron, watch and down know it.
import { Engine } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { requireRoot } from '../engine/preflight.js';
import { EXIT_OK, UserError } from '../errors.js';
import { serveLabApi } from '../experiment/lab-api.js';
import { liveTopology } from '../experiment/live-topology.js';
import { emptyFacts } from '../kinds/facts.js';
import type { StepContext } from '../kinds/step-kind.js';
import type { Datapath } from '../model.js';
import { ovsEnv } from '../plan/plan.js';
import { labByName } from './common.js';
import type { CommandContext } from './context.js';

export async function labApi(name: string, ctx: CommandContext): Promise<number> {
  requireRoot(ctx.host, 'lab-api');
  const server = serveLabApi(runningLab(name, ctx));
  await new Promise<void>((resolve) => {
    if (ctx.signal.aborted) resolve();
    ctx.signal.addEventListener('abort', () => resolve(), { once: true });
  });
  server.close();
  return EXIT_OK;
}

/** A lab that is up, as steps see one: changes go through its engine and journal, and nodes
 *  that join or leave are kept in its record. */
export function runningLab(name: string, ctx: CommandContext): StepContext {
  const found = labByName(name);
  const record = found?.record;
  if (!found || !record || record.state !== 'up') throw new UserError(`no lab named ${name} is up on this host`, 'see: sudo lablb status');
  const { lab } = record;
  const journal = Journal.open(found.dir);
  const engine = new Engine(ctx.host, journal, ovsEnv(lab), ctx.reporter.event);
  const keep = () => journal.writeRecord({ ...record, lab, state: 'up' });
  return {
    lab,
    host: ctx.host,
    apply: (ops) => engine.runLane(ops),
    facts: emptyFacts(),
    observe: async () => {},
    probe: () => undefined,
    emit: ctx.reporter.event,
    startedAt: Date.now(),
    signal: ctx.signal,
    datapath: record.datapath as Datapath,
    topology: liveTopology(lab, keep),
  };
}
