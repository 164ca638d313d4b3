// The client of lablb's spawner (spawner-agent.ts): commands sent over an IPC channel, each
// answered with its output and exit code, as `run` answers them itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import type { Finished } from './run-to-end.js';

const AGENT = join(PACKAGE_ROOT, 'dist', 'src', 'drivers', 'spawner-agent.js');

interface Reply extends Finished {
  id: number;
}

export class Spawner {
  private readonly child: ChildProcess;
  private readonly waiting = new Map<number, (r: Finished) => void>();
  private next = 1;
  private gone: string | undefined;

  constructor() {
    this.child = spawn(process.execPath, [AGENT], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.child.on('message', ({ id, ...finished }: Reply) => {
      this.waiting.get(id)?.(finished);
      this.waiting.delete(id);
      this.holdLablb();
    });
    this.child.on('error', (e) => this.lost(e.message));
    this.child.on('exit', (code, signal) => this.lost(`exited (${signal ?? code})`));
    this.child.unref();
    this.holdLablb();
  }

  run(argv: string[], input: string | undefined, env: Record<string, string> | undefined, timeoutMs: number): Promise<Finished> {
    return new Promise<Finished>((resolve) => {
      if (this.gone) return resolve(notRun(this.gone));
      const id = this.next++;
      this.waiting.set(id, resolve);
      this.holdLablb();
      this.child.send({ id, argv, input, env, timeoutMs });
    });
  }

  /** Ends it: its channel closed, it exits. */
  close(): void {
    if (this.child.connected) this.child.disconnect();
    this.lost('is closed');
  }

  /** Its channel keeps lablb running only while a command is out. */
  private holdLablb(): void {
    if (this.waiting.size > 0) this.child.channel?.ref();
    else this.child.channel?.unref();
  }

  private lost(why: string): void {
    this.gone ??= why;
    for (const resolve of this.waiting.values()) resolve(notRun(why));
    this.waiting.clear();
  }
}

function notRun(why: string): Finished {
  return { stdout: '', stderr: '', exitCode: -1, timedOut: false, message: `lablb's spawner ${why}` };
}
