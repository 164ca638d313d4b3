// A run's events as lablb would tell them, for the report's tests: a VRRP failover with a VIP
// that moves, a member, two steps (the second never ended) and a probe's results.
import type { LabEvent } from '../src/kinds/events.js';
import type { LabService } from '../src/model.js';
import type { KeepalivedSpec } from '../src/services/keepalived/keepalived.js';
import type { HaproxySpec } from '../src/services/haproxy/haproxy.js';
import { vrrpEvent } from '../src/services/keepalived/observe.js';
import { memberEvent } from '../src/services/haproxy/observe.js';

const vrrp = (node: string) => ({ node, name: 'vrrp' }) as LabService<KeepalivedSpec>;
const lb = { node: 'lb', name: 'haproxy', spec: { frontends: [{}] } } as unknown as LabService<HaproxySpec>;

/** A failover, as a run would tell it: lb1 MASTER, killed at 2 s, lb2 MASTER at 5.5 s. */
export function failover(): LabEvent[] {
  return [
    { type: 'lab', lab: 'pair', state: 'ready', ms: 900 },
    vrrpEvent(vrrp('lb1'), 'VR_1', 'MASTER', 400),
    vrrpEvent(vrrp('lb2'), 'VR_1', 'BACKUP', 450),
    { type: 'address', node: 'lb1', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 500 },
    memberEvent(lb, { node: 'web1', pool: 'p' }, 'UP', 600),
    { type: 'step', name: 'kill-master', kind: 'service', index: 1, total: 2, at_ms: 2000 },
    vrrpEvent(vrrp('lb1'), 'VR_1', 'FAULT', 2100),
    { type: 'address', node: 'lb1', address: '10.0.0.100', dev: 'eth0', held: false, at_ms: 2100 },
    // A node that never held it lets go: no change.
    { type: 'address', node: 'lb9', address: '10.0.0.100', dev: 'eth0', held: false, at_ms: 2200 },
    // Two hold it at once for a while: a split brain.
    { type: 'address', node: 'lb3', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 3000 },
    { type: 'address', node: 'lb3', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 3100 },
    vrrpEvent(vrrp('lb2'), 'VR_1', 'MASTER', 5500),
    { type: 'address', node: 'lb2', address: '10.0.0.100', dev: 'eth0', held: true, at_ms: 5500 },
    { type: 'check', name: 'kill-master', ok: true, detail: 'lb2 MASTER in 3500 ms', takeover_ms: 3500, bound_ms: 4000, at_ms: 5600 },
    { type: 'step', name: 'never-ends', kind: 'sleep', index: 2, total: 2, at_ms: 5600 },
    { type: 'note', message: 'no time: not an event of the timeline' },
    {
      type: 'probe',
      name: 'http',
      target: 'http://10.0.0.100/',
      from: 'ext',
      interval_ms: 500,
      samples: [
        [0, 1, 2],
        [500, 1, 3],
        [2000, 0, 1500],
        [2500, 0, 1500],
        [6000, 1, 4],
      ],
    },
    {
      type: 'summary',
      scenario: 'pair',
      lab: 'pair',
      ok: true,
      checks: [{ name: 'kill-master', ok: true, detail: 'lb2 MASTER in 3500 ms', takeover_ms: 3500, bound_ms: 4000 }],
    },
  ];
}
