// haproxy's stats socket: one `show stat` per call, answered as CSV. Node talks to the UNIX
// socket directly, so watching a load balancer costs no process per poll.
import { connect } from 'node:net';

export interface StatRow {
  pxname: string;
  svname: string;
  /** UP, DOWN, "UP 1/2" (going down), "DOWN 1/2" (going up), MAINT, no check, OPEN ... */
  status: string;
  scur: number;
  stot: number;
  checkStatus: string;
  lastchg: number;
}

export function parseShowStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.replace(/^# /, '').split(',') ?? [];
  const col = (name: string) => header.indexOf(name);
  return lines.map((line) => {
    const f = line.split(',');
    return {
      pxname: f[col('pxname')] ?? '',
      svname: f[col('svname')] ?? '',
      status: f[col('status')] ?? '',
      scur: Number(f[col('scur')] || 0),
      stot: Number(f[col('stot')] || 0),
      checkStatus: f[col('check_status')] ?? '',
      lastchg: Number(f[col('lastchg')] || 0),
    };
  });
}

export function showStat(socketPath: string, timeoutMs = 1000): Promise<StatRow[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    const sock = connect(socketPath);
    sock.setTimeout(timeoutMs, () => sock.destroy(new Error(`no answer from ${socketPath} in ${timeoutMs} ms`)));
    sock.on('connect', () => sock.end('show stat\n'));
    sock.on('data', (d) => (out += d.toString('utf8')));
    sock.on('error', reject);
    sock.on('close', () => resolve(parseShowStat(out)));
  });
}
