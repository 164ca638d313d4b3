// A TCP stream server (agents/stream-server.ts): the far end of long-lived connections a
// probe keeps open through NAT, to show which survive a router failover (seed 002's
// limitation 1: without conntrack sync, a stream whose outside speaks first dies).
import { z } from 'zod';
import { Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { Endpoint, resolveListen, startAgent, type Listen } from '../shared/web-agent.js';

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('tcp-stream'),
    listen: Endpoint.describe("address:port; the address must be one of the node's"),
  })
  .describe('A TCP server for long-lived streams: it pushes a line every interval, or echoes, as each probe asks');

export const tcpStream = serviceKind<Listen, z.infer<typeof Block>>({
  kind: 'tcp-stream',
  schema: Block,
  example: '{ name: streams, kind: tcp-stream, listen: 10.255.253.1:9000 }',
  tools: [],
  resolve: (b, ctx) => resolveListen(b.listen, ctx),
  binds: (spec) => [{ address: spec.address, path: ['listen'] }],
  describe: (s) => `TCP stream server on ${s.spec.address}:${s.spec.port}`,
  start: (s) => startAgent(s, 'stream-server', []),
});
