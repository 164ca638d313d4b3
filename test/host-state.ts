// A picture of what a lab must leave as it found: root-namespace links, routes and iptables,
// namespaces, and daemons. Compared before and after a lab's life.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const DAEMONS = new Set(['haproxy', 'keepalived', 'ovs-vswitchd', 'ovsdb-server', 'dnsmasq', 'conntrackd']);

function sh(file: string, args: string[]): string {
  try {
    return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  } catch {
    return '';
  }
}

/** Live processes that are daemons lablb could start, or that carry a lablb token. */
function labProcesses(): string[] {
  const out: string[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'latin1');
      if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) === 'Z') continue; // exited
      const comm = readFileSync(`/proc/${name}/comm`, 'utf8').trim();
      const env = readFileSync(`/proc/${name}/environ`, 'latin1');
      if (DAEMONS.has(comm) || env.includes('LABLB_TOKEN=')) out.push(`${name} ${comm}`);
    } catch {
      /* gone */
    }
  }
  return out.sort();
}

export interface HostState {
  links: string;
  namespaces: string;
  routes: string;
  iptables: string;
  processes: string[];
}

export function hostState(): HostState {
  return {
    links: sh('ip', ['-o', 'link', 'show'])
      .split('\n')
      .map((l) => l.split(':')[1]?.trim() ?? '')
      .sort()
      .join(' '),
    namespaces: sh('ip', ['netns', 'list']),
    routes: sh('ip', ['route', 'show', 'table', 'all']),
    // Without counters and the timestamp comments, so only rules count.
    iptables: sh('iptables-save', [])
      .split('\n')
      .filter((l) => !l.startsWith('#'))
      .map((l) => l.replace(/\[\d+:\d+\]/g, ''))
      .join('\n'),
    processes: labProcesses(),
  };
}

export const isRoot = process.getuid?.() === 0;

/** Namespace teardown is asynchronous in the kernel; give it a moment before comparing. */
export async function settledHostState(expected: HostState): Promise<HostState> {
  let now = hostState();
  for (let i = 0; i < 50 && JSON.stringify(now) !== JSON.stringify(expected); i++) {
    await new Promise((r) => setTimeout(r, 100));
    now = hostState();
  }
  return now;
}

const onCI = process.env.CI !== undefined && !['', '0', 'false'].includes(process.env.CI);

/** Why the real-host tests cannot run here (not root, a tool missing), or false when they can.
 *  Under CI that is a failure, not a skip: a CI that skips them proves nothing. */
export function realHostSkip(t: { fail(message: string): unknown }, ...tools: string[]): string | false {
  const missing = ['ip', 'ovs-vswitchd', ...tools].filter((tool) => sh('sh', ['-c', `command -v ${tool}`]).trim() === '');
  return skipUnlessCI(
    t,
    !isRoot
      ? 'needs root: run the tests with sudo to build real labs'
      : missing.length
        ? `needs ${missing.join(', ')} (scripts/setup-host.sh installs them)`
        : false,
  );
}

/** A test's reason to skip here, or false. Under CI (.ci/run exports CI=1) no test may skip:
 *  the reason is a failure there. */
export function skipUnlessCI(t: { fail(message: string): unknown }, why: string | false): string | false {
  if (why && onCI) t.fail(`a test cannot run under CI: ${why}`);
  return why;
}
