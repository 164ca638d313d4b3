// Applies a plan: phases in order, the lanes of a phase in parallel, journaling every object
// before the op that creates it, and telling the reporters how far it got.
import { ExternalError, UserError } from '../errors.js';
import type { Op, Plan } from '../plan/ops.js';
import { shellLine } from '../plan/ops.js';
import type { Emit } from '../report/events.js';
import type { HostDriver } from './driver.js';
import type { Journal } from './journal.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class Engine {
  constructor(
    private readonly driver: HostDriver,
    private readonly journal: Journal,
    private readonly env: Record<string, string>,
    private readonly emit: Emit = () => {},
  ) {}

  /** Runs the phases; an abort stops it between phases (the caller then tears down). */
  async apply(plan: Plan, signal?: AbortSignal): Promise<void> {
    for (const [i, phase] of plan.phases.entries()) {
      if (signal?.aborted) throw new UserError('interrupted');
      this.emit({ type: 'phase', lab: plan.lab, index: i + 1, total: plan.phases.length, title: phase.title });
      const results = await Promise.allSettled(phase.lanes.map((lane) => this.runLane(lane)));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
  }

  async runLane(ops: Op[]): Promise<void> {
    for (const op of ops) await this.runOp(op);
  }

  async runOp(op: Op): Promise<void> {
    switch (op.kind) {
      case 'run':
        for (const entry of op.creates ?? []) this.journal.record(entry);
        await this.driver.run(op.argv, { input: op.input, env: { ...this.env, ...op.env } });
        return;
      case 'write':
        this.driver.writeFile(op.path, op.content);
        return;
      case 'daemon': {
        for (const entry of op.creates) this.journal.record(entry);
        const pid = this.driver.spawnDetached(op.argv, { env: { ...this.env, ...op.env }, logfile: op.logfile });
        await this.waitFor(
          () => this.driver.exists(op.pidfile),
          5000,
          () => (this.driver.isAlive(pid) ? undefined : 'exited before it was ready'),
          shellLine(op.argv),
          op.logfile,
        );
        return;
      }
      case 'wait-path':
        await this.waitFor(() => this.driver.exists(op.path), op.timeoutMs, () => undefined, `wait for ${op.what}`);
        return;
    }
  }

  private async waitFor(
    ready: () => boolean,
    timeoutMs: number,
    failure: () => string | undefined,
    command: string,
    logfile?: string,
  ): Promise<void> {
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
