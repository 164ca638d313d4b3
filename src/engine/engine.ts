// Applies a plan: each task once the tasks it needs are done, journaling every object before
// the op that creates it and every undo before the change it reverts, and telling the
// reporters how far it got. Experiments' actions go through here too.
import { availableParallelism } from 'node:os';
import { ExternalError, UserError } from '../errors.js';
import type { HostDriver } from '../host.js';
import { opToShell, type Op, type Plan, type Task } from '../kinds/ops.js';
import { emptyDatabase } from '../links/ovsdb-file.js';
import type { Emit, TaskTiming } from '../kinds/events.js';
import { shellLine } from '../shell.js';
import { runtimeNamed } from '../runtime/all.js';
import type { Journal } from './journal.js';
import { Slots } from '../slots.js';

/** Commands at once: enough to keep two cores busy while some wait on the kernel. */
const PROCESSES_AT_ONCE = Math.max(8, 4 * availableParallelism());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Engine {
  private readonly processes = new Slots(PROCESSES_AT_ONCE);

  constructor(
    private readonly driver: HostDriver,
    private readonly journal: Journal,
    private readonly env: Record<string, string>,
    private readonly emit: Emit = () => {},
  ) {}

  /** Runs every task as soon as the tasks it comes after are done. On a failure or an abort
   *  it starts nothing new, lets running tasks finish, and throws (the caller tears down).
   *  Each task's finish wakes only the tasks that wait for it, so a plan of thousands of
   *  tasks costs its length, not its square. */
  async apply(plan: Plan, signal?: AbortSignal): Promise<void> {
    const unmet = new Map(plan.tasks.map((t) => [t.id, new Set(t.after)]));
    const rank = new Map(plan.tasks.map((t, i) => [t.id, i]));
    const waiters = new Map<string, Task[]>();
    for (const t of plan.tasks) {
      for (const d of t.after) {
        if (!waiters.has(d)) waiters.set(d, []);
        waiters.get(d)!.push(t);
      }
    }
    let ready = plan.tasks.filter((t) => t.after.length === 0);
    let running = 0;
    let finished = 0;
    let failure: unknown;
    let started = 0;
    let wake: () => void = () => {};
    const appliedAtMs = Math.round(performance.now());
    const timings: TaskTiming[] = [];
    const finish = (task: Task) => {
      finished++;
      for (const w of waiters.get(task.id) ?? []) {
        const left = unmet.get(w.id)!;
        left.delete(task.id);
        if (left.size === 0) ready.push(w);
      }
    };
    for (;;) {
      if (signal?.aborted && !failure) failure = new UserError('interrupted');
      if (!failure) {
        const now = ready;
        ready = [];
        for (const task of now) {
          running++;
          this.emit({ type: 'task', lab: plan.lab, id: task.id, title: task.title, index: ++started, total: plan.tasks.length });
          const timing: TaskTiming = { id: task.id, title: task.title, after: task.after, startMs: Math.round(performance.now()), endMs: 0 };
          timings.push(timing);
          this.runLane(task.ops, rank.get(task.id))
            .then(
              () => {
                timing.endMs = Math.round(performance.now());
                finish(task);
              },
              (err: unknown) => void (failure ??= err),
            )
            .finally(() => {
              running--;
              wake();
            });
        }
      }
      if (running === 0 && (failure || ready.length === 0)) break;
      if (ready.length === 0 || failure) await new Promise<void>((r) => (wake = r));
    }
    if (failure) throw failure;
    if (finished < plan.tasks.length) {
      const stuck = plan.tasks.filter((t) => unmet.get(t.id)!.size > 0).map((t) => t.id);
      throw new Error(`plan cannot finish: ${stuck.join(', ')} wait for tasks that never run`);
    }
    this.emit({ type: 'timing', lab: plan.lab, appliedAtMs, tasks: timings });
  }

  /** A task's ops in order; `rank` (its place in the plan) orders its commands against other
   *  tasks' when all slots are busy. */
  async runLane(ops: Op[], rank = 0): Promise<void> {
    for (const op of ops) await this.runOp(op, rank);
  }

  async runOp(op: Op, rank = 0): Promise<void> {
    switch (op.kind) {
      case 'run':
        for (const entry of op.creates ?? []) this.journal.record(entry);
        if (op.undo) this.journal.record({ kind: 'undo', ...op.undo });
        await this.processes.use(() => this.driver.run(op.argv, { input: op.input, env: { ...this.env, ...op.env }, timeoutMs: op.timeoutMs }), rank);
        if (op.settles) this.journal.record({ kind: 'settled', id: op.settles });
        return;
      case 'signal': {
        if (!op.pidfile) {
          this.driver.signalByToken(op.token, op.signal);
          return;
        }
        const pid = Number((this.driver.readFile(op.pidfile) ?? '').trim().split(/\s+/)[0]);
        if (!Number.isInteger(pid) || pid <= 0) throw new UserError(`${op.what}: no PID in ${op.pidfile}`);
        if (this.driver.signalByToken(op.token, op.signal, pid).length === 0) throw new UserError(`${op.what}: PID ${pid} is not running (or not the lab's)`);
        return;
      }
      case 'stop':
        await this.driver.stopByToken(op.token, op.graceMs);
        return;
      case 'write':
        this.driver.writeFile(op.path, op.content, op.mode);
        return;
      case 'mkdir':
        for (const path of op.paths) this.driver.mkdir(path);
        return;
      case 'ovsdb-create': {
        const schema = this.driver.readFile(op.schema);
        if (schema === undefined) throw new ExternalError(opToShell(op), undefined, `cannot read ${op.schema} (is openvswitch-switch installed?)`);
        this.driver.writeFile(op.path, emptyDatabase(schema));
        return;
      }
      case 'daemon': {
        for (const entry of op.creates) this.journal.record(entry);
        const pid = this.driver.spawnDetached(op.argv, { env: { ...this.env, ...op.env }, logfile: op.logfile });
        await this.waitFor(
          () => this.driver.exists(op.ready),
          5000,
          () => (this.driver.isAlive(pid) ? undefined : 'exited before it was ready'),
          shellLine(op.argv),
          op.logfile,
        );
        return;
      }
      case 'spawn':
        for (const entry of op.creates) this.journal.record(entry);
        this.driver.spawnDetached(op.argv, { env: { ...this.env, ...op.env }, logfile: op.logfile });
        return;
      case 'wait-path':
        await this.waitFor(
          () => this.driver.exists(op.path),
          op.timeoutMs,
          () => undefined,
          `wait for ${op.what}`,
        );
        return;
      case 'member':
        // What only a runtime knows how to do (start a container): its policy, not the engine's.
        await runtimeNamed(op.runtime).apply(op.action, { host: this.driver, record: (e) => this.journal.record(e) });
        return;
    }
  }

  private async waitFor(ready: () => boolean, timeoutMs: number, failure: () => string | undefined, command: string, logfile?: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    // Most daemons are ready within tens of ms: look often at first, then every 10 ms.
    for (let tries = 1; !ready(); tries++) {
      const why = failure() ?? (Date.now() > deadline ? `not ready after ${timeoutMs} ms` : undefined);
      if (why) {
        const log = logfile ? this.driver.readFile(logfile)?.trim().split('\n').slice(-5).join('\n') : undefined;
        throw new ExternalError(command, undefined, `${why}${log ? `\n${log}` : ''}`);
      }
      await sleep(Math.min(tries, 10));
    }
  }
}
