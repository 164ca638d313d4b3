// What every verb gets: where to write, how to report, and the interrupt signal.
import type { Reporter } from '../report/reporters.js';

export interface CommandContext {
  out: (line: string) => void;
  err: (line: string) => void;
  reporter: Reporter;
  json: boolean;
  debug: boolean;
  /** Aborted on Ctrl-C, SIGTERM, or q on the live screen. */
  signal: AbortSignal;
  abort: () => void;
}
