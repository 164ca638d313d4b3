// A lab's whole life: preflight, plan, journal, apply; an experiment on it; teardown. Every
// failure is told: a teardown that fails after another failure is reported beside it.
import { randomBytes } from 'node:crypto';
import { CombinedError, TeardownError } from '../errors.js';
import { labKeyPath } from '../token.js';
import type { HostDriver } from '../host.js';
import type { Datapath, Lab } from '../model.js';
import { buildPlan, ovsEnv } from '../plan/plan.js';
import type { Plan } from '../kinds/ops.js';
import type { Emit } from '../kinds/events.js';
import { Engine } from './engine.js';
import { Journal, type LabRecord } from './journal.js';
import { preflight, runtimePreflight } from './preflight.js';
import { teardownLab, type TeardownResult } from './teardown.js';

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
export async function prepareLab(lab: Lab, host: HostDriver, emit: Emit): Promise<PreparedLab> {
  const datapath = await host.chooseDatapath(lab.switch.datapath);
  preflight(host, lab, datapath);
  await runtimePreflight(host, lab);
  const journal = Journal.create(lab.dir);
  host.writeFile(labKeyPath(lab.dir), `${randomBytes(32).toString('hex')}\n`, 0o600);
  const modules = host.kernelModules();
  const record: LabRecord = {
    lab,
    state: 'building',
    datapath,
    pid: process.pid,
    createdAt: new Date().toISOString(),
    ...(modules ? { modules: [...modules.keys()] } : {}),
  };
  journal.writeRecord(record);
  const engine = new Engine(host, journal, ovsEnv(lab), emit);
  const plan = buildPlan(lab, { datapath });
  if (commandsIn(plan) >= MANY_RUNS) host.expectManyRuns?.();
  return { lab, datapath, engine, journal, record, plan };
}

/** From this many commands on, a build starts them through the host's cheaper way (a 40-router
 *  lab runs about 400; floating-ip-lb 40). */
export const MANY_RUNS = 200;

export function commandsIn(plan: Plan): number {
  return plan.tasks.reduce((n, t) => n + t.ops.filter((op) => op.kind === 'run').length, 0);
}

export async function applyLab(p: PreparedLab, emit: Emit, signal?: AbortSignal): Promise<BuiltLab> {
  const started = performance.now();
  emit({ type: 'lab', lab: p.lab.name, state: 'building', datapath: p.datapath });
  await p.engine.apply(p.plan, signal);
  p.journal.writeRecord({ ...p.record, state: 'up' });
  emit({ type: 'lab', lab: p.lab.name, state: 'ready', ms: Math.round(performance.now() - started) });
  return p;
}

/** Removes a lab from its journal; throws a TeardownError naming what is left. */
export async function removeLab(dir: string, name: string, host: HostDriver, emit: Emit): Promise<TeardownResult> {
  const started = performance.now();
  emit({ type: 'lab', lab: name, state: 'tearing-down' });
  const r = await teardownLab(dir, host);
  for (const f of r.failures) emit({ type: 'problem', message: f });
  if (r.modules.length) emit({ type: 'note', message: `unloaded the kernel modules loaded while the lab ran: ${r.modules.join(' ')}` });
  if (r.modulesInUse.length)
    emit({
      type: 'note',
      message: `kernel modules loaded while the lab ran are in use now and stay loaded: ${r.modulesInUse.join(' ')} (sudo rmmod them once nothing uses them)`,
    });
  if (r.failures.length > 0) throw new TeardownError(name, r.failures);
  emit({ type: 'lab', lab: name, state: 'down', ms: Math.round(performance.now() - started) });
  return r;
}

/** Runs `body`, then `cleanup` whatever happened; throws the first failure, or both. */
export async function withCleanup<T>(body: () => Promise<T>, cleanup: () => Promise<unknown>): Promise<T> {
  let result: T;
  try {
    result = await body();
  } catch (err) {
    try {
      await cleanup();
    } catch (teardown) {
      throw new CombinedError([err, teardown]);
    }
    throw err;
  }
  await cleanup();
  return result;
}

/** Builds the lab; on any failure removes what was built, and reports both if that fails too. */
export async function buildLab(lab: Lab, host: HostDriver, emit: Emit, signal?: AbortSignal): Promise<PreparedLab> {
  const prepared = await prepareLab(lab, host, emit);
  try {
    await applyLab(prepared, emit, signal);
    return prepared;
  } catch (err) {
    try {
      await removeLab(lab.dir, lab.name, host, emit);
    } catch (teardown) {
      throw new CombinedError([err, teardown]);
    }
    throw err;
  }
}
