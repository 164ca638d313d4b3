// Runs the prober agent in a node's namespace and collects its results as they arrive.
import { createInterface } from 'node:readline';
import type { ChildProcess } from 'node:child_process';
import { agentArgv, TOKEN_VAR } from '../agents/paths.js';
import { spawnPiped } from '../drivers/process.js';
import type { LabExperiment } from '../model.js';
import type { Sample } from './expect.js';

export class Prober {
  readonly samples: Sample[] = [];
  private listeners = new Set<() => void>();
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.samples.push(JSON.parse(line) as Sample);
      } catch {
        return;
      }
      for (const l of this.listeners) l();
    });
    child.on('exit', () => {
      this.exited = true;
      for (const l of this.listeners) l();
    });
  }

  static start(labName: string, probe: LabExperiment['probe'], maxSeconds: number): Prober {
    const argv = [
      'ip', 'netns', 'exec', probe.from,
      ...agentArgv('prober', [
        '--url', probe.url,
        '--interval-ms', String(probe.intervalMs),
        '--timeout-ms', String(probe.timeoutMs),
        '--max-seconds', String(maxSeconds),
      ]),
    ];
    return new Prober(spawnPiped(argv, { env: { [TOKEN_VAR]: `${labName}/${probe.from}/prober` } }));
  }

  /** Results of probes sent at or after `since`. */
  sentSince(since: number): Sample[] {
    return this.samples.filter((s) => s.t >= since);
  }

  /** Waits for `count` results of probes sent from now on. */
  next(count: number, timeoutMs: number): Promise<Sample[]> {
    const since = Date.now();
    return this.until(() => this.sentSince(since).length >= count, timeoutMs).then(() =>
      this.sentSince(since).sort((a, b) => a.seq - b.seq).slice(0, count),
    );
  }

  /** Resolves when `done()` holds, or after timeoutMs (resolving false). */
  until(done: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (v: boolean) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        resolve(v);
      };
      const check = () => {
        if (done()) finish(true);
        else if (this.exited) finish(false);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  stop(): void {
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
  }
}
