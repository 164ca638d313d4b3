// What the engine, the observers and the experiment tell the reporters: one typed event each,
// so the screen, the JSON stream (one object per line) and the checks read the same facts.

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
  /** A step started; its `check` event says how it ended. */
  | { type: 'step'; name: string; kind: string; index: number; total: number }
  | ({ type: 'check' } & CheckResult)
  /** A load balancer member changed state. `member` is the node that hosts it; `pool` is there
   *  when the load balancer has several (LBaaS v2 listeners), where one node is a member of each. */
  | { type: 'member'; loadbalancer: string; member: string; pool?: string; status: string; at_ms: number }
  /** A VRRP instance entered a state. */
  | { type: 'vrrp'; node: string; service: string; instance: string; state: string; at_ms: number }
  /** A node gained (held) or lost an address: a VIP or floating IP moving. */
  | { type: 'address'; node: string; address: string; dev: string; held: boolean; at_ms: number }
  /** A daemon's own log line worth telling (haproxy's "Server ... is DOWN"). */
  | { type: 'log'; source: string; message: string; at_ms: number }
  /** A NAT rule counted its first packet. */
  | { type: 'nat'; router: string; rule: string; label: string; at_ms: number }
  /** A port's Neutron port security changed (a step, or `lablb neutron` by hand). */
  | { type: 'security'; port: string; state: string; at_ms: number }
  /** A security group's rules changed: rules as `describeRule` words ("ingress vrrp"). */
  | { type: 'security-group'; group: string; added: string[]; removed: string[]; at_ms: number }
  /** Something went wrong that lablb carried on past (a teardown step that failed). */
  | { type: 'problem'; message: string }
  | { type: 'note'; message: string }
  | { type: 'summary'; scenario: string; lab: string; ok: boolean; checks: CheckResult[] };

export type Emit = (event: LabEvent) => void;

/** "qlbaas-01/lb: member vm2", "qlbaas-v2/lb: member web2 in pool test-lb-pool-http". */
export function memberText(e: Extract<LabEvent, { type: 'member' }>): string {
  return `${e.loadbalancer}: member ${e.member}${e.pool ? ` in pool ${e.pool}` : ''}`;
}

/** Each event as one line of text, for the line reporter and the screen's event log. */
export function eventText(e: LabEvent): string | undefined {
  switch (e.type) {
    case 'member':
      return `${memberText(e)} is ${e.status}`;
    case 'vrrp':
      return `${e.node}/${e.service} ${e.instance}: ${e.state}`;
    case 'address':
      return e.held ? `${e.node} now holds ${e.address} on ${e.dev}` : `${e.node} no longer holds ${e.address}`;
    case 'nat':
      return `${e.router}: first packet on ${e.label}`;
    case 'log':
      return `${e.source} says: ${e.message}`;
    case 'security':
      return `${e.port}: ${e.state}`;
    case 'security-group':
      return `security group ${e.group}: ${[...e.added.map((r) => `+ ${r}`), ...e.removed.map((r) => `- ${r}`)].join(', ')}`;
    case 'problem':
    case 'note':
      return e.message;
    default:
      return undefined;
  }
}
