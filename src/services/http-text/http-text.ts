// A web server that answers every request with a fixed text: the article's
// `while true; do echo -e 'HTTP/1.0 200 OK\r\n\r\nserver_81' | nc -l -p 80; done`.
import { z } from 'zod';
import { Line, Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { Endpoint, resolveListen, startAgent, type Listen } from '../shared/web-agent.js';

export interface HttpTextSpec extends Listen {
  text: string;
}

const Block = z
  .strictObject({
    name: Name.describe('unique on the node; steps name it as node/name'),
    kind: z.literal('http-text'),
    listen: Endpoint.describe("address:port; the address must be one of the node's"),
    text: Line().min(1).describe("the body of every reply (the article's nc loop answering server_81)"),
  })
  .describe('A web server that answers every request with a fixed text');

export const httpText = serviceKind<HttpTextSpec, z.infer<typeof Block>>({
  kind: 'http-text',
  schema: Block,
  example: '{ name: web, kind: http-text, listen: 10.0.0.81:80, text: server_81 }',
  tools: [],
  resolve: (b, ctx) => ({ ...resolveListen(b.listen, ctx), text: b.text }),
  binds: (spec) => [{ address: spec.address, path: ['listen'] }],
  describe: (s) => `web server on ${s.spec.address}:${s.spec.port} answering ${s.spec.text}`,
  start: (s) => startAgent(s, 'http-responder', ['--text', s.spec.text]),
});
