/** One probe's result, as the prober agent prints it (one JSON line each). */
export interface Sample {
  seq: number;
  /** Send time, ms since the epoch. */
  t: number;
  ok: boolean;
  ms: number;
  body?: string;
  error?: string;
}
