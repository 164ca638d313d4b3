// One request on a UNIX stream socket, answered until the peer closes (haproxy's stats
// socket). Node talks to the socket directly: watching a load balancer costs no process.
import { connect } from 'node:net';

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
