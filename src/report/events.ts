// What the engine and the experiment tell the reporters. One JSON object per event in --json.

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
  /** Measured figures; durations end in _ms. */
  [figure: string]: string | number | boolean;
}

export type LabEvent =
  | { type: 'lab'; lab: string; state: 'building' | 'ready' | 'tearing-down' | 'down'; ms?: number; datapath?: string }
  | { type: 'task'; lab: string; id: string; index: number; total: number; title: string }
  | { type: 'step'; name: string; kind: string; index: number; total: number }
  | ({ type: 'check' } & CheckResult)
  | { type: 'member'; loadbalancer: string; member: string; status: string; at_ms: number }
  | { type: 'note'; message: string }
  | { type: 'summary'; scenario: string; lab: string; ok: boolean; checks: CheckResult[] };

export type Emit = (event: LabEvent) => void;
