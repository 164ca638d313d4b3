// A tiny HTTP server that lablb runs inside a node's namespace: it answers every request with a
// fixed text (the article's `nc -l -p 80` loop answering server_81), or with the caller's
// address (so SNAT can be seen from outside). It writes its pid file once it is listening.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    text: { type: 'string' },
    whoami: { type: 'boolean', default: false },
    pidfile: { type: 'string' },
  },
});
const [host, port] = (values.listen ?? '').split(':');
if (!host || !port || (!values.text && !values.whoami)) {
  process.stderr.write('usage: http-responder --listen ADDR:PORT (--text TEXT | --whoami) [--pidfile FILE]\n');
  process.exit(2);
}

const server = createServer((req, res) => {
  const body = `${values.whoami ? (req.socket.remoteAddress ?? '') : values.text}\n`;
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body), Connection: 'close' });
  res.end(body);
});
server.on('error', (err) => {
  process.stderr.write(`http-responder: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(port), host, () => {
  if (values.pidfile) writeFileSync(values.pidfile, `${process.pid}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
