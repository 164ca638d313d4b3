// Only waits: until every condition holds (one MASTER, a VIP where it should be), timed.
import { actionStep } from './action-step.js';

export const wait = actionStep({
  kind: 'wait',
  description: 'Wait until every condition in until holds, within within_ms; time each',
  fields: {},
  example: `name: one-master
kind: wait
until:
  - { vrrp: lb1/vrrp/VR_1, state: MASTER }
  - { address: 10.1.0.100, held_by: [lb1] }`,
  resolveAction: () => ({}),
  bounded: false,
  ops: () => [],
  done: () => 'nothing to wait for',
});
