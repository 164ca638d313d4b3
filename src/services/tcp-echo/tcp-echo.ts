// A TCP echo server for the sessions a probe holds through a floating IP: busybox's nc, a
// process of about a megabyte per node and one per connection, where lablb's own stream server
// (a node process of about 40 MB) would not fit in a VM each at a hundred routers.
import { z } from 'zod';
import { Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('tcp-echo'),
    port: z.int().min(1).max(65535).default(7).describe('the port it listens on, on every address of the node'),
  })
  .describe("A TCP echo server on every address of the node (busybox nc, cat per connection): the far end of a sessions probe's sessions");

export interface TcpEchoSpec {
  port: number;
}

/** `busybox nc -ll -p 7 -e cat`: -ll keeps listening, each connection gets its own cat. */
export const echoArgv = (port: number) => ['busybox', 'nc', '-ll', '-p', String(port), '-e', 'cat'];

export const tcpEcho = serviceKind<TcpEchoSpec, z.infer<typeof Block>>({
  kind: 'tcp-echo',
  schema: Block,
  example: '{ name: echo, kind: tcp-echo, port: 7 }',
  tools: [{ command: 'busybox', pkg: 'busybox-static', versionArgs: ['--help'], why: 'tcp-echo services: busybox nc' }],
  resolve: (b) => ({ port: b.port }),
  describe: (s) => `TCP echo server on port ${s.spec.port}`,
  // Nothing to wait for: the sessions probe connects again each interval until it is answered.
  start: (s) => [
    {
      kind: 'spawn',
      argv: netns.exec(s.node, echoArgv(s.spec.port)),
      env: { [TOKEN_VAR]: s.token },
      logfile: s.logfile,
      creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token }],
    },
  ],
});
