/** One probe's result, as the prober agent prints it (one JSON line each). */
export interface Sample {
  seq: number;
  /** Send time, ms since the epoch. */
  t: number;
  ok: boolean;
  ms: number;
  body?: string;
  error?: string;
  /** A sessions probe: the addresses whose session is quiet (or not connected yet)... */
  quiet?: string[];
  /** ...and those whose session died (reset or closed), when not all are flowing. */
  dead?: string[];
}
