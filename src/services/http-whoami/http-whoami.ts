// A web server that answers with the caller's address, so SNAT can be seen from outside.
import { z } from 'zod';
import { Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { Endpoint, resolveListen, startAgent, type Listen } from '../shared/web-agent.js';

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('http-whoami'),
    listen: Endpoint.describe("address:port; the address must be one of the node's"),
  })
  .describe("A web server that answers with the caller's address, so SNAT can be seen from outside");

export const httpWhoami = serviceKind<Listen, z.infer<typeof Block>>({
  kind: 'http-whoami',
  schema: Block,
  example: '{ name: whoami, kind: http-whoami, listen: 10.255.253.1:8080 }',
  tools: [],
  resolve: (b, ctx) => resolveListen(b.listen, ctx),
  binds: (spec) => [{ address: spec.address, path: ['listen'] }],
  describe: (s) => `web server on ${s.spec.address}:${s.spec.port} answering with the caller's address`,
  start: (s) => startAgent(s, 'http-responder', ['--whoami']),
});
