// Finding and stopping lablb's own processes. Every process lablb starts carries
// LABLB_TOKEN=<lab>/<node>/<service> in its environment (children and daemons inherit it), so
// after a crash cleanup still finds exactly those PIDs, and never anyone else's.
import { readdirSync, readFileSync } from 'node:fs';
import { TOKEN_VAR } from '../token.js';

function tokenOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'latin1');
    const entry = env.split('\0').find((e) => e.startsWith(`${TOKEN_VAR}=`));
    return entry?.slice(TOKEN_VAR.length + 1);
  } catch {
    return undefined; // gone, or a kernel thread
  }
}

/** A token ending in "/" matches a whole lab (or node); any other matches exactly. */
function matches(token: string, pid: number): boolean {
  const t = tokenOf(pid);
  return t !== undefined && (token.endsWith('/') ? t.startsWith(token) : t === token);
}

export function findByToken(token: string): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid)
    .map(Number)
    .filter((pid) => matches(token, pid) && isAlive(pid));
}

/** A zombie counts as gone: it has exited and only waits for its parent (often PID 1,
 *  which may reap late) to collect it. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends `sig` to each of `pids` that still carries the token: checked again just before, as a
 *  PID freed and reused meanwhile is not ours. */
function sendToOurs(pids: number[], token: string, sig: NodeJS.Signals): void {
  for (const pid of pids) {
    if (!matches(token, pid)) continue;
    try {
      process.kill(pid, sig);
    } catch {
      /* already gone */
    }
  }
}

/** Sends `sig` to each PID that carries exactly this token (or only to `only`, if it carries
 *  it: one of a service's processes, by its pid file). A SIGKILL stands for a crash, so every
 *  PID is stopped first: a child that would otherwise see its parent die first (keepalived's
 *  VRRP process gets SIGTERM then, and removes its VIPs) never runs again, and the crash leaves
 *  what a real one leaves. */
export function signalByToken(token: string, sig: NodeJS.Signals, only?: number): number[] {
  const pids = findByToken(token).filter((pid) => only === undefined || pid === only);
  if (sig === 'SIGKILL') sendToOurs(pids, token, 'SIGSTOP');
  sendToOurs(pids, token, sig);
  return pids;
}

export function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** SIGTERM, then SIGKILL after graceMs; each signal only to a PID that still carries the token. */
export async function stopByToken(token: string, graceMs = 3000): Promise<number[]> {
  const pids = findByToken(token);
  sendToOurs(pids, token, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (pids.some(isAlive) && Date.now() < deadline) await sleep(20);
  if (pids.some(isAlive)) {
    sendToOurs(pids, token, 'SIGKILL');
    while (pids.some(isAlive) && Date.now() < deadline + 2000) await sleep(20);
  }
  return pids;
}
