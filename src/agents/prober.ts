// The prober: sends one HTTP GET every interval, each on a new connection (so each one is a new
// flow through the NAT), and prints one JSON line per reply or failure. It stops by itself after
// --max-seconds, or as soon as lablb goes away (its stdin closes): traffic is always bounded.
import { request } from 'node:http';
import { parseArgs } from 'node:util';
// Type only: erased at build time, so the agent still loads nothing but node's builtins.
import type { Sample } from '../sample.js';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    'interval-ms': { type: 'string', default: '50' },
    'timeout-ms': { type: 'string', default: '1000' },
    'max-seconds': { type: 'string', default: '600' },
  },
});
if (!values.url) {
  process.stderr.write('usage: prober --url URL [--interval-ms N] [--timeout-ms N] [--max-seconds N]\n');
  process.exit(2);
}
const url = values.url;
const intervalMs = Number(values['interval-ms']);
const timeoutMs = Number(values['timeout-ms']);
const deadline = Date.now() + Number(values['max-seconds']) * 1000;

let seq = 0;
function probe(): void {
  const n = ++seq;
  const t = Date.now();
  const start = performance.now();
  let done = false;
  const finish = (r: Omit<Sample, 'seq' | 't' | 'ms'>) => {
    if (done) return;
    done = true;
    process.stdout.write(`${JSON.stringify({ seq: n, t, ms: Math.round((performance.now() - start) * 10) / 10, ...r })}\n`);
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

const timer = setInterval(() => {
  if (Date.now() > deadline) process.exit(0);
  probe();
}, intervalMs);
probe();
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
for (const sig of ['SIGTERM', 'SIGINT'] as const) process.on(sig, () => { clearInterval(timer); process.exit(0); });
