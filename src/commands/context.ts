// What every verb gets: the host, where to write, how to report, and the interrupt signal.
import type { HostDriver } from '../host.js';
import type { Reporter } from '../report/reporters.js';

export interface CommandContext {
  /** Every side effect goes through it (the real host, or a fake in tests). */
  host: HostDriver;
  out: (line: string) => void;
  err: (line: string) => void;
  reporter: Reporter;
  json: boolean;
  /** --set name=value, as typed: scenario parameters to override. */
  sets: string[];
  debug: boolean;
  /** Aborted on Ctrl-C, SIGTERM, or q on the live screen. */
  signal: AbortSignal;
  abort: () => void;
}
