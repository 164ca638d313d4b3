// Applies a plan: each task once the tasks it needs are done, journaling every object before
// the op that creates it and every undo before the change it reverts, and telling the
// reporters how far it got. Experiments' actions go through here too.
import { ExternalError, UserError } from '../errors.js';
import type { HostDriver } from '../host.js';
import type { Op, Plan } from '../kinds/ops.js';
import type { Emit, TaskTiming } from '../kinds/events.js';
import { shellLine } from '../shell.js';
import { runtimeNamed } from '../runtime/all.js';
import type { Journal } from './journal.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Engine {
  constructor(
    private readonly driver: HostDriver,
    private readonly journal: Journal,
    private readonly env: Record<string, string>,
    private readonly emit: Emit = () => {},
  ) {}

  /** Runs every task as soon as the tasks it comes after are done. On a failure or an abort
   *  it starts nothing new, lets running tasks finish, and throws (the caller tears down). */
  async apply(plan: Plan, signal?: AbortSignal): Promise<void> {
    const done = new Set<string>();
    const running = new Map<string, Promise<void>>();
    const pending = [...plan.tasks];
    let failure: unknown;
    let started = 0;
    const appliedAtMs = Math.round(performance.now());
    const timings: TaskTiming[] = [];
    while (pending.length > 0 || running.size > 0) {
      if (signal?.aborted && !failure) failure = new UserError('interrupted');
      if (!failure) {
        for (const task of pending.filter((t) => t.after.every((d) => done.has(d)))) {
          pending.splice(pending.indexOf(task), 1);
          this.emit({ type: 'task', lab: plan.lab, id: task.id, title: task.title, index: ++started, total: plan.tasks.length });
          const timing: TaskTiming = { id: task.id, title: task.title, after: task.after, startMs: Math.round(performance.now()), endMs: 0 };
          timings.push(timing);
          running.set(
            task.id,
            this.runLane(task.ops)
              .then(
                () => {
                  timing.endMs = Math.round(performance.now());
                  done.add(task.id);
                },
                (err: unknown) => void (failure ??= err),
              )
              .finally(() => running.delete(task.id)),
          );
        }
      }
      if (running.size === 0) {
        if (failure) break;
        if (pending.length > 0) throw new Error(`plan cannot finish: ${pending.map((t) => t.id).join(', ')} wait for tasks that never run`);
        break;
      }
      await Promise.race(running.values());
    }
    if (failure) throw failure;
    this.emit({ type: 'timing', lab: plan.lab, appliedAtMs, tasks: timings });
  }

  async runLane(ops: Op[]): Promise<void> {
    for (const op of ops) await this.runOp(op);
  }

  async runOp(op: Op): Promise<void> {
    switch (op.kind) {
      case 'run':
        for (const entry of op.creates ?? []) this.journal.record(entry);
        if (op.undo) this.journal.record({ kind: 'undo', ...op.undo });
        await this.driver.run(op.argv, { input: op.input, env: { ...this.env, ...op.env } });
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
    while (!ready()) {
      const why = failure() ?? (Date.now() > deadline ? `not ready after ${timeoutMs} ms` : undefined);
      if (why) {
        const log = logfile ? this.driver.readFile(logfile)?.trim().split('\n').slice(-5).join('\n') : undefined;
        throw new ExternalError(command, undefined, `${why}${log ? `\n${log}` : ''}`);
      }
      await sleep(10);
    }
  }
}
