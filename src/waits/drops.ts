// "port P's flows dropped at least N packets for this reason during the step": the cause of a
// symptom, read
// from the switch's own counters (a security group's ingress rule dropping VRRP adverts, table
// 24 dropping ARP replies for an address the port was not given).
import { z } from 'zod';
import type { Facts } from '../kinds/facts.js';
import { PortRef } from '../kinds/fields.js';
import { waitKind } from '../kinds/wait-kind.js';
import { DROP_REASONS, DROP_SAID, type DropReason } from '../security/flows.js';
import { portId, usesPortSecurity } from '../security/model.js';

export interface DropsWaitSpec {
  port: string;
  reason: DropReason;
  atLeast: number;
}

const Block = z
  .strictObject({
    dropped: PortRef.describe("a port as node/port (keepalived01/eth0): the switch's drop flows of that port"),
    reason: z.enum(DROP_REASONS).describe('which drop: arp-spoof (table 24), ip-spoof (25), egress (61), ingress (81/82)'),
    at_least: z.int().min(1).max(1_000_000).default(1).describe('packets dropped during the step'),
  })
  .describe("Until a port's drop flows for one reason have dropped at least this many packets during the step");

const dropsOf = (spec: DropsWaitSpec, facts: Facts) => facts.security[spec.port]?.drops[spec.reason] ?? 0;

export const dropsWait = waitKind<DropsWaitSpec, z.infer<typeof Block>>({
  key: 'dropped',
  schema: Block,
  example: '{ dropped: keepalived02/eth0, reason: ingress, at_least: 3 }',
  resolve(b, ctx) {
    const port = ctx.port(b.dropped, ['dropped']);
    if (port && !usesPortSecurity(ctx.lab)) ctx.report(['dropped'], 'no port in this lab has port security: no flow drops anything');
    return { port: port ? portId(port) : b.dropped, reason: b.reason, atLeast: b.at_least };
  },
  needs: () => ['security'],
  countsDuringStep: true,
  check(spec, facts, _since, first) {
    const n = dropsOf(spec, facts) - dropsOf(spec, first ?? facts);
    return { met: n >= spec.atLeast, now: `${n} dropped during the step` };
  },
  describe: (spec) => `${spec.port} dropped ${spec.atLeast > 1 ? `at least ${spec.atLeast} packets` : 'a packet'} (${DROP_SAID[spec.reason]})`,
  figure: () => 'dropped_ms',
});
