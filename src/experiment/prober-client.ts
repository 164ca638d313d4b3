// Runs the prober agent in a node and collects its results as they arrive.
import { agentArgv } from '../agents/launch.js';
import type { HostDriver, PipedChild } from '../host.js';
import type { ProbeFeed } from '../kinds/step-kind.js';
import type { LabProbe } from '../model.js';
import { netns } from '../runtime/netns/netns.js';
import type { Sample } from '../sample.js';
import { TOKEN_VAR } from '../token.js';
import { bySendTime } from '../stats.js';

/** The prober agent's command line: `run --explain` prints it, `run` starts it. */
export function proberCommand(labName: string, probe: LabProbe, maxSeconds: number): { argv: string[]; env: Record<string, string> } {
  const target = probe.sessions
    ? ['--sessions', probe.sessions.targets.join(','), '--port', String(probe.sessions.port)]
    : probe.url
      ? ['--url', probe.url]
      : ['--tcp', probe.tcp!, '--mode', probe.mode ?? 'push'];
  const argv = netns.exec(
    probe.from,
    agentArgv('prober', [...target, '--interval-ms', String(probe.intervalMs), '--timeout-ms', String(probe.timeoutMs), '--max-seconds', String(maxSeconds)]),
  );
  return { argv, env: { [TOKEN_VAR]: `${labName}/${probe.from}/prober-${probe.name}` } };
}

export class Prober implements ProbeFeed {
  readonly samples: Sample[] = [];
  private listeners = new Set<() => void>();
  private exited = false;

  private constructor(
    private readonly probe: LabProbe,
    private readonly child: PipedChild,
  ) {
    child.onLine((line) => {
      try {
        this.samples.push(JSON.parse(line) as Sample);
      } catch {
        return;
      }
      for (const l of this.listeners) l();
    });
    child.onExit(() => {
      this.exited = true;
      for (const l of this.listeners) l();
    });
  }

  get name(): string {
    return this.probe.name;
  }

  get intervalMs(): number {
    return this.probe.intervalMs;
  }

  get timeoutMs(): number {
    return this.probe.timeoutMs;
  }

  static start(host: HostDriver, labName: string, probe: LabProbe, maxSeconds: number): Prober {
    const { argv, env } = proberCommand(labName, probe, maxSeconds);
    return new Prober(probe, host.spawnPiped(argv, { env }));
  }

  /** Results of probes sent at or after `since`. */
  sentSince(since: number): Sample[] {
    return this.samples.filter((s) => s.t >= since);
  }

  /** Waits for `count` results of probes sent from now on. */
  next(count: number, timeoutMs: number): Promise<Sample[]> {
    const since = Date.now();
    return this.until(() => this.sentSince(since).length >= count, timeoutMs).then(() => this.sentSince(since).sort(bySendTime).slice(0, count));
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
    this.child.stop();
  }
}
