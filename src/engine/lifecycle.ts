// Building a whole lab: preflight, plan, journal, apply.
import { chooseDatapath } from '../drivers/host.js';
import type { Datapath, Lab } from '../model.js';
import { buildPlan, ovsEnv } from '../plan/plan.js';
import type { Plan } from '../plan/ops.js';
import type { Emit } from '../report/events.js';
import type { HostDriver } from './driver.js';
import { Engine } from './engine.js';
import { Journal, type LabRecord } from './journal.js';
import { preflight } from './preflight.js';

export interface BuiltLab {
  lab: Lab;
  datapath: Datapath;
  engine: Engine;
  journal: Journal;
}

export interface PreparedLab extends BuiltLab {
  plan: Plan;
  record: LabRecord;
}

/** Checks the host and opens the lab's journal. From here on the lab owns its state dir and
 *  must be torn down on failure; before here nothing exists to remove. */
export async function prepareLab(lab: Lab, driver: HostDriver, emit: Emit): Promise<PreparedLab> {
  const datapath = await chooseDatapath(lab.switch.datapath);
  preflight(lab, datapath);
  const journal = Journal.create(lab.dir);
  const record: LabRecord = { lab, state: 'building', datapath, pid: process.pid, createdAt: new Date().toISOString() };
  journal.writeRecord(record);
  const engine = new Engine(driver, journal, ovsEnv(lab), emit);
  return { lab, datapath, engine, journal, record, plan: buildPlan(lab, { datapath }) };
}

export async function applyLab(p: PreparedLab, emit: Emit, signal?: AbortSignal): Promise<BuiltLab> {
  const started = performance.now();
  emit({ type: 'lab', lab: p.lab.name, state: 'building', datapath: p.datapath });
  await p.engine.apply(p.plan, signal);
  p.journal.writeRecord({ ...p.record, state: 'up' });
  emit({ type: 'lab', lab: p.lab.name, state: 'ready', ms: Math.round(performance.now() - started) });
  return p;
}
