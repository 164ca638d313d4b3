// The metadata proxy lablb runs in a router namespace, as neutron-ns-metadata-proxy listens on
// 9697 there: the l3-agent's REDIRECT of 169.254.169.254:80 lands here with the instance's own
// address as the source, which is how the instance is known. Neutron forwards the request to
// Nova through the metadata agent; the lab answers itself from the instances it was given.
// Every request is one line on stdout (the service's log), which lablb's observer reads.
import { createServer } from 'node:http';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    listen: { type: 'string' },
    instance: { type: 'string', multiple: true, default: [] },
    pidfile: { type: 'string' },
  },
});
const [host, port] = (values.listen ?? '').split(':');
if (!host || !port) {
  process.stderr.write('usage: metadata-proxy --listen ADDR:PORT [--instance ADDRESS=HOSTNAME ...] [--pidfile FILE]\n');
  process.exit(2);
}
const hostnames = new Map(values.instance.map((i) => i.split('=') as [string, string]));

/** What EC2-style metadata says of one instance, by path under /latest/meta-data/. */
function metadata(address: string, hostname: string): Record<string, string> {
  return { hostname, 'local-hostname': hostname, 'instance-id': `i-${hostname}`, 'local-ipv4': address };
}

const server = createServer((req, res) => {
  const from = (req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const hostname = hostnames.get(from);
  const path = (req.url ?? '/').split('?')[0];
  let status = 200;
  let body: string;
  if (!hostname) {
    // Neutron's agent finds no port with this address on the router's networks.
    status = 404;
    body = 'instance not found';
  } else if (path === '/' || path === '/latest' || path === '/latest/') {
    body = path === '/' ? 'latest' : 'meta-data/';
  } else if (path === '/latest/meta-data' || path === '/latest/meta-data/') {
    body = Object.keys(metadata(from, hostname)).join('\n');
  } else {
    const key = path.replace(/^\/latest\/meta-data\//, '');
    const value = metadata(from, hostname)[key];
    if (value === undefined) status = 404;
    body = value ?? 'not found';
  }
  res.writeHead(status, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(`${body}\n`), Connection: 'close' });
  res.end(`${body}\n`);
  process.stdout.write(`request ${JSON.stringify({ from, hostname: hostname ?? null, method: req.method, path, status })}\n`);
});
server.on('error', (err) => {
  process.stderr.write(`metadata-proxy: ${err.message}\n`);
  process.exit(1);
});
server.listen(Number(port), host, () => {
  if (values.pidfile) writeFileSync(values.pidfile, `${process.pid}\n`);
});
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => process.exit(0));
