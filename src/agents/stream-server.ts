// A TCP server for long-lived streams through NAT, run in a node by the tcp-stream service.
// A client's first line says what it wants: "push <ms>" and the server writes a line every
// <ms> (the outside speaks first: after a failover without conntrack state, the new router
// cannot map it back and the stream dies), or "echo" and it answers each line (the inside
// speaks first: conntrack picks the flow up mid-stream and it survives). Writes its pid file
// once it listens.
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { listen: { type: 'string' }, pidfile: { type: 'string' } } });
const [host, port] = (values.listen ?? '').split(':');
if (!host || !port) {
  process.stderr.write('usage: stream-server --listen ADDR:PORT [--pidfile FILE]\n');
  process.exit(2);
}

const server = createServer((sock) => {
  let mode: string | undefined;
  let buffered = '';
  let timer: NodeJS.Timeout | undefined;
  sock.setNoDelay(true);
  sock.on('data', (chunk) => {
    buffered += chunk.toString('utf8');
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (mode === undefined) {
        const [what, ms] = line.split(' ');
        mode = what;
        if (what === 'push') {
          let seq = 0;
          timer = setInterval(() => sock.write(`${++seq}\n`), Math.max(10, Number(ms) || 100));
        }
      } else if (mode === 'echo') {
        sock.write(`${line}\n`);
      }
    }
  });
  const done = () => clearInterval(timer);
  sock.on('close', done);
  sock.on('error', () => {
    process.stderr.write(`stream-server: ${sock.remoteAddress}:${sock.remotePort} ${mode ?? '?'} stream reset\n`);
    done();
  });
});
server.on('error', (err) => {
  process.stderr.write(`stream-server: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(port), host, () => {
  if (values.pidfile) writeFileSync(values.pidfile, `${process.pid}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
