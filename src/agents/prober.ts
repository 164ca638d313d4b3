// The prober: prints one JSON line (a Sample) per interval, for the whole run. It stops by
// itself after --max-seconds, or as soon as lablb goes away (its stdin closes): traffic is
// always bounded.
//  --url URL: one HTTP GET every interval, each on a new connection (so each one is a new flow
//    through the NAT): a sample per reply or failure.
//  --tcp ADDR:PORT --mode push|echo: one long-lived connection to lablb's stream-server. push:
//    the server writes every interval; echo: the prober writes every interval and the server
//    answers. A sample per interval: ok while data arrived within --timeout-ms. The connection
//    is never re-made: a stream that died stays dead, which is what a failover test must see.
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
// Type only: erased at build time, so the agent still loads nothing but node's builtins.
import type { Sample } from '../sample.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    tcp: { type: 'string' },
    mode: { type: 'string', default: 'push' },
    'interval-ms': { type: 'string', default: '50' },
    'timeout-ms': { type: 'string', default: '1000' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
if (!values.url === !values.tcp) {
  process.stderr.write('usage: prober (--url URL | --tcp ADDR:PORT [--mode push|echo]) [--interval-ms N] [--timeout-ms N] [--max-seconds N]\n');
  process.exit(2);
}
const intervalMs = Number(values['interval-ms']);
const timeoutMs = Number(values['timeout-ms']);
const deadline = Date.now() + Number(values['max-seconds']) * 1000;

let seq = 0;
const print = (s: Omit<Sample, 'seq'>) => process.stdout.write(`${JSON.stringify({ seq: ++seq, ...s })}\n`);

function httpProbe(url: string): void {
  const t = Date.now();
  const start = performance.now();
  let done = false;
  const finish = (r: Omit<Sample, 'seq' | 't' | 'ms'>) => {
    if (done) return;
    done = true;
    print({ t, ms: Math.round((performance.now() - start) * 10) / 10, ...r });
  };
  const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => (body += chunk));
    res.on('end', () => finish(res.statusCode === 200 ? { ok: true, body: body.trim() } : { ok: false, error: `HTTP ${res.statusCode}`, body: body.trim() }));
    res.on('error', (err) => finish({ ok: false, error: err.message }));
  });
  req.on('timeout', () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
  req.on('error', (err) => finish({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
  req.end();
}

/** One long-lived stream; returns what to do each interval. Until it is first established it
 *  tries again each interval (the lab may still be electing a router); after that, never. */
function tcpStream(target: string, mode: string): () => void {
  const [host, port] = target.split(':');
  let sock: Socket | undefined;
  let established = false;
  let lastData = 0;
  let dead: string | undefined;
  let sent = 0;
  const open = () => {
    const s = connect(Number(port), host);
    sock = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      established = true;
      lastData = Date.now();
      s.write(mode === 'push' ? `push ${intervalMs}\n` : 'echo\n');
    });
    s.on('data', () => (lastData = Date.now()));
    s.on('error', (err) => {
      const why = (err as NodeJS.ErrnoException).code ?? err.message;
      if (established) dead = `stream died: ${why}`;
      else sock = undefined; // not up yet: the next interval tries again
    });
    s.on('close', () => {
      if (established) dead ??= 'stream closed';
    });
  };
  return () => {
    const t = Date.now();
    if (!established && !sock) open();
    if (mode === 'echo' && established && !dead && sock?.writable) sock.write(`${++sent}\n`);
    const quiet = t - lastData;
    if (dead) print({ t, ms: 0, ok: false, error: dead });
    else if (!established) print({ t, ms: 0, ok: false, error: 'not connected yet' });
    else if (quiet > timeoutMs) print({ t, ms: quiet, ok: false, error: `no data for over ${timeoutMs} ms` });
    else print({ t, ms: quiet, ok: true, body: mode });
  };
}

const tick = values.tcp ? tcpStream(values.tcp, values.mode ?? 'push') : () => httpProbe(values.url!);
const timer = setInterval(() => {
  if (Date.now() > deadline) process.exit(0);
  tick();
}, intervalMs);
if (!values.tcp) tick();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    clearInterval(timer);
    process.exit(0);
  });
