// What the engine needs from the host, as an interface: the real one spawns processes through
// drivers/process.ts; tests use a recording fake.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAlive } from '../drivers/procs.js';
import { run, spawnDetached, type RunOptions, type RunResult } from '../drivers/process.js';

export interface HostDriver {
  run(argv: string[], opts?: RunOptions): Promise<RunResult>;
  spawnDetached(argv: string[], opts: { env?: Record<string, string>; logfile: string }): number;
  writeFile(path: string, content: string): void;
  mkdir(path: string): void;
  readFile(path: string): string | undefined;
  exists(path: string): boolean;
  isAlive(pid: number): boolean;
}

export const realDriver: HostDriver = {
  run,
  spawnDetached,
  writeFile: (path, content) => writeFileSync(path, content),
  mkdir: (path) => void mkdirSync(path, { recursive: true }),
  readFile: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
  exists: existsSync,
  isAlive,
};
