// One request on a UNIX stream socket, answered until the peer closes (haproxy's stats
// socket). Node talks to the socket directly: watching a load balancer costs no process.
import { rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import type { PipedChild } from '../host.js';

export function unixRequest(socketPath: string, request: string, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const sock = connect(socketPath);
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer from ${socketPath} in ${timeoutMs} ms`)));
    sock.on('connect', () => sock.end(request));
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('error', reject);
    sock.on('close', () => resolve(out));
  });
}

/** A request whose answer keeps coming (haproxy's `show events <ring> -w`), line by line,
 *  until stop() or the peer closes. */
export function unixStream(socketPath: string, request: string): PipedChild {
  const lineListeners: ((line: string) => void)[] = [];
  const exitListeners: (() => void)[] = [];
  let rest = '';
  const sock = connect(socketPath);
  sock.on('connect', () => sock.write(request));
  sock.on('data', (d) => {
    const lines = (rest + d.toString('utf8')).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) for (const l of lineListeners) l(line);
  });
  sock.on('error', () => sock.destroy());
  sock.on('close', () => exitListeners.forEach((l) => l()));
  return {
    onLine: (l) => void lineListeners.push(l),
    onExit: (l) => void exitListeners.push(l),
    stop: () => void sock.destroy(),
  };
}

/** A server of JSON lines on a UNIX socket: each line a request, each answer one line. Only
 *  root reaches it (the lab's dir is 0700). A request that is not JSON gets an error line. */
export function serveUnix(socketPath: string, handle: (request: unknown) => Promise<unknown>): { close(): void } {
  rmSync(socketPath, { force: true });
  const server = createServer((sock) => {
    let buffered = '';
    sock.on('data', (chunk) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        let request: unknown;
        try {
          request = JSON.parse(line);
        } catch {
          sock.write(`${JSON.stringify({ ok: false, error: 'not a JSON line' })}\n`);
          continue;
        }
        handle(request).then(
          (answer) => sock.writable && sock.write(`${JSON.stringify(answer)}\n`),
          (err: Error) => sock.writable && sock.write(`${JSON.stringify({ ok: false, error: err.message })}\n`),
        );
      }
    });
    sock.on('error', () => sock.destroy());
  });
  server.listen(socketPath);
  return {
    close() {
      server.close();
      rmSync(socketPath, { force: true });
    },
  };
}
