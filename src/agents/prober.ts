// The prober: prints one JSON line (a Sample) per interval, for the whole run. It stops by
// itself after --max-seconds, or as soon as lablb goes away (its stdin closes): traffic is
// always bounded.
//  --url URL: one HTTP GET every interval, each on a new connection (so each one is a new flow
//    through the NAT): a sample per reply or failure.
//  --tcp ADDR:PORT --mode push|echo: one long-lived connection to lablb's stream-server. push:
//    the server writes every interval; echo: the prober writes every interval and the server
//    answers. A sample per interval: ok while data arrived within --timeout-ms. The connection
//    is never re-made: a stream that died stays dead, which is what a failover test must see.
//  --sessions ADDR,ADDR,... --port N: one such echo stream to each address (a session per
//    floating IP, to an echo server behind it). A sample per interval for all of them: ok while
//    every one is flowing, and the addresses of those quiet (nothing back within --timeout-ms,
//    or not connected yet) and dead (reset or closed).
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
    sessions: { type: 'string' },
    port: { type: 'string' },
    'interval-ms': { type: 'string', default: '50' },
    'timeout-ms': { type: 'string', default: '1000' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
if ([values.url, values.tcp, values.sessions].filter(Boolean).length !== 1 || (values.sessions && !values.port)) {
  process.stderr.write(
    'usage: prober (--url URL | --tcp ADDR:PORT [--mode push|echo] | --sessions ADDR,... --port N) [--interval-ms N] [--timeout-ms N] [--max-seconds N]\n',
  );
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

/** One long-lived stream, sent to each interval (echo) or asked to push once. Until it is
 *  first established it tries again each interval (the lab may still be electing a router);
 *  after that, never. */
class Stream {
  private sock: Socket | undefined;
  private established = false;
  private lastData = 0;
  private sent = 0;
  /** Why it died, once it has. */
  dead: string | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly mode: string,
  ) {}

  private open(): void {
    const s = connect(this.port, this.host);
    this.sock = s;
    s.setNoDelay(true);
    s.on('connect', () => {
      this.established = true;
      this.lastData = Date.now();
      s.write(this.mode === 'push' ? `push ${intervalMs}\n` : 'echo\n');
    });
    s.on('data', () => (this.lastData = Date.now()));
    s.on('error', (err) => {
      const why = (err as NodeJS.ErrnoException).code ?? err.message;
      if (this.established) this.dead = `stream died: ${why}`;
      else this.sock = undefined; // not up yet: the next interval tries again
    });
    s.on('close', () => {
      if (this.established) this.dead ??= 'stream closed';
    });
  }

  /** One interval: connect if not yet, send if echoing; how long it has been quiet (ms), or
   *  undefined before it was ever established. */
  tick(now: number): number | undefined {
    if (!this.established && !this.sock) this.open();
    if (this.mode === 'echo' && this.established && !this.dead && this.sock?.writable) this.sock.write(`${++this.sent}\n`);
    return this.established ? now - this.lastData : undefined;
  }
}

function tcpStream(target: string, mode: string): () => void {
  const [host, port] = target.split(':');
  const stream = new Stream(host, Number(port), mode);
  return () => {
    const t = Date.now();
    const quiet = stream.tick(t);
    if (stream.dead) print({ t, ms: 0, ok: false, error: stream.dead });
    else if (quiet === undefined) print({ t, ms: 0, ok: false, error: 'not connected yet' });
    else if (quiet > timeoutMs) print({ t, ms: quiet, ok: false, error: `no data for over ${timeoutMs} ms` });
    else print({ t, ms: quiet, ok: true, body: mode });
  };
}

/** A session to each address, all sampled together: which are quiet, which dead. */
function sessions(addresses: string[], port: number): () => void {
  const streams = addresses.map((a) => ({ address: a, stream: new Stream(a, port, 'echo') }));
  return () => {
    const t = Date.now();
    const quiet: string[] = [];
    const dead: string[] = [];
    let longest = 0;
    for (const { address, stream } of streams) {
      const q = stream.tick(t);
      if (stream.dead) dead.push(address);
      else if (q === undefined || q > timeoutMs) quiet.push(address);
      if (q !== undefined) longest = Math.max(longest, q);
    }
    const flowing = streams.length - quiet.length - dead.length;
    const ok = flowing === streams.length;
    print({
      t,
      ms: longest,
      ok,
      ...(ok
        ? { body: `${flowing} sessions` }
        : { error: `${flowing} of ${streams.length} sessions flowing, ${quiet.length} quiet, ${dead.length} dead`, quiet, dead }),
    });
  };
}

const tick = values.sessions
  ? sessions(values.sessions.split(','), Number(values.port))
  : values.tcp
    ? tcpStream(values.tcp, values.mode ?? 'push')
    : () => httpProbe(values.url!);
const timer = setInterval(() => {
  if (Date.now() > deadline) process.exit(0);
  tick();
}, intervalMs);
if (values.url) tick();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT'] as const)
  process.on(sig, () => {
    clearInterval(timer);
    process.exit(0);
  });
