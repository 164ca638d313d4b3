// Impairments on a link, as netem would give them where the kernel has it: packet loss on what
// arrives at a port (iptables' statistic match in the node's raw table, before anything else
// sees the packet, VRRP adverts included) and a rate limit on what leaves it (a tbf qdisc).
// Each is journaled with its undo, so `down` and `clean` remove it; `repair` removes it now.
// Delay and jitter need sch_netem, which this lab's reference host kernel lacks: not offered.
import { z } from 'zod';
import { PortRef } from '../kinds/fields.js';
import type { StepResolveContext } from '../kinds/step-kind.js';
import type { Op } from '../kinds/ops.js';
import { netns } from '../runtime/netns/netns.js';
import { actionStep } from './action-step.js';

export interface Impairment {
  node: string;
  port: string;
  /** Of the packets arriving at the port, the share dropped (0 to 1). */
  loss?: number;
  /** Its egress, in kbit/s. */
  rateKbit?: number;
}

export const lossId = (a: Pick<Impairment, 'node' | 'port'>) => `impair-loss:${a.node}/${a.port}`;
export const rateId = (a: Pick<Impairment, 'node' | 'port'>) => `impair-rate:${a.node}/${a.port}`;

/** The raw table's rule: dropped before conntrack, routing and any socket. */
const lossRule = (a: Impairment, verb: '-I' | '-D') =>
  netns.exec(a.node, [
    'iptables',
    '-w',
    '-t',
    'raw',
    verb,
    'PREROUTING',
    '-i',
    a.port,
    '-m',
    'statistic',
    '--mode',
    'random',
    '--probability',
    a.loss!.toFixed(4),
    '-j',
    'DROP',
  ]);

/** tbf: `rate` with a burst of at least one full frame per tick and 50 ms of queue at most. */
const rateQdisc = (a: Impairment) =>
  netns.exec(a.node, [
    'tc',
    'qdisc',
    'replace',
    'dev',
    a.port,
    'root',
    'tbf',
    'rate',
    `${a.rateKbit}kbit`,
    'burst',
    `${Math.max(4, Math.ceil(a.rateKbit! / 800))}kb`,
    'latency',
    '50ms',
  ]);
const rateRemoved = (a: Impairment) => netns.exec(a.node, ['tc', 'qdisc', 'del', 'dev', a.port, 'root']);

function ports(b: { port: string }, ctx: StepResolveContext): { node: string; port: string } {
  ctx.port(b.port, ['port']);
  const [node, port] = b.port.split('/');
  return { node, port };
}

/** The rule and the qdisc, each with its undo (journaled: down and clean take them off). */
export function impairOps(a: Impairment): Op[] {
  return [
    ...(a.loss !== undefined
      ? [
          {
            kind: 'run' as const,
            argv: lossRule(a, '-I'),
            undo: { id: lossId(a), what: `${a.node}/${a.port} without loss`, argv: lossRule(a, '-D'), member: a.node },
          },
        ]
      : []),
    ...(a.rateKbit !== undefined
      ? [{ kind: 'run' as const, argv: rateQdisc(a), undo: { id: rateId(a), what: `${a.node}/${a.port} at full rate`, argv: rateRemoved(a), member: a.node } }]
      : []),
  ];
}

export const describe = (a: Impairment) =>
  [a.loss !== undefined ? `${+(a.loss * 100).toFixed(2)}% of what arrives lost` : '', a.rateKbit !== undefined ? `${a.rateKbit} kbit/s out` : '']
    .filter(Boolean)
    .join(', ');

export const impair = actionStep({
  kind: 'impair',
  description: "Impair a node's port: lose a share of what arrives (iptables statistic, raw table) and/or limit what leaves (tbf); `repair` undoes it",
  fields: {
    port: PortRef.describe('the port, as node/port'),
    loss_percent: z.number().min(0.01).max(100).optional().describe('the share of packets arriving at the port that are dropped, at random'),
    rate_kbit: z.int().min(8).max(10_000_000).optional().describe('the rate the port sends at, at most, in kbit/s (tbf, 50 ms of queue)'),
  },
  example: `name: lossy-ha-network
kind: impair
port: qrouter-net2/ha-n2
loss_percent: 30`,
  tools: [
    { command: 'tc', pkg: 'iproute2', versionArgs: ['-V'], why: 'impair steps: a rate limit (tbf)' },
    { command: 'iptables', pkg: 'iptables', versionArgs: ['--version'], why: 'impair steps: packet loss (statistic match)' },
  ],
  resolveAction(b, ctx): Impairment {
    const at = ports(b, ctx);
    if (b.loss_percent === undefined && b.rate_kbit === undefined) ctx.report([], 'say how to impair it: loss_percent: N and/or rate_kbit: N');
    return { ...at, ...(b.loss_percent !== undefined ? { loss: b.loss_percent / 100 } : {}), ...(b.rate_kbit !== undefined ? { rateKbit: b.rate_kbit } : {}) };
  },
  ops: impairOps,
  done: (a) => `${a.node}/${a.port}: ${describe(a)}`,
});

export const repair = actionStep({
  kind: 'repair',
  description: 'Undo the impairments an earlier impair step put on a port',
  fields: {
    port: PortRef.describe('the port, as node/port'),
  },
  example: '{ name: ha-network-clean, kind: repair, port: qrouter-net2/ha-n2 }',
  resolveAction(b, ctx): Impairment {
    const at = ports(b, ctx);
    const earlier = ctx.lab.experiment?.steps.filter((s) => s.kind === 'impair').map((s) => (s.spec as { action: Impairment }).action) ?? [];
    const mine = earlier.filter((a) => a.node === at.node && a.port === at.port);
    if (mine.length === 0) ctx.report(['port'], `no earlier impair step impairs ${b.port}`);
    const loss = mine.filter((a) => a.loss !== undefined).at(-1)?.loss;
    const rateKbit = mine.filter((a) => a.rateKbit !== undefined).at(-1)?.rateKbit;
    return { ...at, ...(loss !== undefined ? { loss } : {}), ...(rateKbit !== undefined ? { rateKbit } : {}) };
  },
  ops: (a): Op[] => [
    ...(a.loss !== undefined ? [{ kind: 'run' as const, argv: lossRule(a, '-D'), settles: lossId(a) }] : []),
    ...(a.rateKbit !== undefined ? [{ kind: 'run' as const, argv: rateRemoved(a), settles: rateId(a) }] : []),
  ],
  done: (a) => `${a.node}/${a.port} unimpaired`,
});
