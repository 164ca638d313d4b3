// A recording fake of the host, for unit tests of the engine, steps, runner and teardown:
// every call is logged; files live in memory. Commands succeed unless a rule says otherwise,
// and only commands lablb's tool table knows (a real host has no others it may run): any
// other fails as "command not found". A rule that never matched is told (`unusedRules`), so a
// test cannot pass because its failure was never injected. With `manualReady`, a daemon is
// ready only when the test says so.
import type { ContainerEngine, ContainerInfo, HostDriver, PipedChild, RunOptions, RunResult } from '../src/host.js';
import { basename } from 'node:path';
import { TOOLS } from '../src/engine/tools.js';

/** What lablb may run: its tool table, its own agents (node), and env to set a variable. */
const KNOWN = new Set([...TOOLS.map((tool) => tool.command), process.execPath, 'env']);

/** The program a command line runs, past `ip netns exec NS`, `nsenter --net=P`, `xargs -P N -n N`
 *  and `env VAR=value`. */
export function programOf(argv: string[]): string | undefined {
  let a = argv;
  for (;;) {
    if (a[0] === 'ip' && a[1] === 'netns' && a[2] === 'exec') a = a.slice(4);
    else if (a[0] === 'nsenter') {
      a = a.slice(1);
      while (a[0]?.startsWith('--')) a = a.slice(1);
    } else if (a[0] === 'xargs') {
      a = a.slice(1);
      while (a[0]?.startsWith('-')) a = a.slice(a[0] === '-n' || a[0] === '-P' ? 2 : 1);
    } else if (a[0] === 'env') {
      a = a.slice(1);
      while (a[0]?.includes('=')) a = a.slice(1);
    } else return a[0];
  }
}

export interface FakeHost extends HostDriver {
  log: string[];
  /** Rules (fail, stdout) no command matched: a test whose failure was never injected. */
  unusedRules(): string[];
  /** Makes waiting daemons ready (their pid files appear): all, or the one with this pid file. */
  ready(pidfile?: string): void;
  files: Map<string, string>;
  /** Namespaces that exist (for netns.exists and namespaces()). */
  netns: Set<string>;
  /** Tokens of live fake processes. */
  tokens: Map<string, number[]>;
  /** Containers the fake engine runs, by id. */
  containers: ContainerEngine & { running: Map<string, ContainerInfo>; images: Set<string> };
}

export interface FakeRules {
  /** A command (joined by spaces) containing this text fails with this stderr. */
  fail?: Record<string, string>;
  /** stdout for a command containing this text. */
  stdout?: Record<string, string>;
  /** Answers of UNIX sockets by path. */
  sockets?: Record<string, string | (() => string)>;
  delayMs?: number;
  /** Whether a process survives SIGKILL (a stuck teardown). */
  unkillable?: boolean;
  /** Lines a streamed socket answers with, by path. */
  streams?: Record<string, string[]>;
  /** No Docker engine answers. */
  noDocker?: boolean;
  /** What a piped child (the prober) prints: called with a way to print a line. */
  piped?: (argv: string[], print: (line: string) => void) => () => void;
  /** Daemons do not write their pid files by themselves: the test calls ready(). */
  manualReady?: boolean;
}

export function fakeHost(rules: FakeRules = {}): FakeHost {
  const log: string[] = [];
  // What a host with Open vSwitch installed has: the schema its database is made from.
  const files = new Map<string, string>([['/usr/share/openvswitch/vswitch.ovsschema', '{"name": "Open_vSwitch", "version": "8.3.1", "tables": {}}']]);
  const netns = new Set<string>();
  const tokens = new Map<string, number[]>();
  let nextPid = 100;
  const used = new Set<string>();
  const match = (argv: string[], table?: Record<string, string>) => {
    const line = argv.join(' ');
    const hit = Object.entries(table ?? {}).find(([k]) => line.includes(k));
    if (hit) used.add(hit[0]);
    return hit?.[1];
  };
  const pending = new Map<string, number>();
  const notFound = (argv: string[]): RunResult | undefined => {
    const program = programOf(argv);
    return program !== undefined && KNOWN.has(program.startsWith('/') && program !== process.execPath ? basename(program) : program)
      ? undefined
      : { stdout: '', stderr: `fake host: ${program}: command not found`, exitCode: 127 };
  };
  const result = (argv: string[]): RunResult => {
    const unknown = notFound(argv);
    if (unknown) return unknown;
    const failure = match(argv, rules.fail);
    if (failure !== undefined) return { stdout: '', stderr: failure, exitCode: 1 };
    // Namespaces come and go as ip says.
    if (argv[0] === 'ip' && argv[1] === 'netns' && argv[2] === 'del') netns.delete(argv[3]);
    return { stdout: match(argv, rules.stdout) ?? '', stderr: '', exitCode: 0 };
  };
  const tokenOf = (env?: Record<string, string>) => env?.LABLB_TOKEN;
  const host: FakeHost = {
    log,
    files,
    netns,
    tokens,
    async run(argv: string[], opts?: RunOptions) {
      log.push(`run ${argv.join(' ')}${opts?.input ? ` <<${opts.input.split('\n').length} lines` : ''}`);
      if (argv[0] === 'ip' && argv.includes('-batch'))
        for (const l of opts?.input?.split('\n') ?? []) {
          if (l.startsWith('netns add ')) netns.add(l.slice(10));
          // A namespace a rule says cannot be deleted stays, as the kernel would keep it.
          if (l.startsWith('netns del ') && match(['ip', ...l.split(' ')], rules.fail) === undefined) netns.delete(l.slice(10));
        }
      const token = tokenOf(opts?.env);
      if (token) tokens.set(token, [nextPid++]);
      if (rules.delayMs) await new Promise((r) => setTimeout(r, rules.delayMs));
      const r = result(argv);
      if (r.exitCode !== 0 && !opts?.allowFailure) {
        const { ExternalError } = await import('../src/errors.js');
        throw new ExternalError(argv.join(' '), r.exitCode, r.stderr);
      }
      return r;
    },
    async query(argv) {
      log.push(`query ${argv.join(' ')}`);
      return result(argv);
    },
    spawnDetached(argv, opts) {
      log.push(`spawn ${argv.join(' ')}`);
      const unknown = notFound(argv);
      if (unknown) throw new Error(`spawn ${argv.join(' ')}: ${unknown.stderr}`);
      const pid = nextPid++;
      const token = tokenOf(opts.env);
      if (token) tokens.set(token, [pid]);
      // lablb's agents write their pid file once they serve.
      const pidfile = opts.logfile.replace(/\.(log|out)$/, '.pid');
      if (rules.manualReady) pending.set(pidfile, pid);
      else setTimeout(() => files.set(pidfile, String(pid)), 5);
      return pid;
    },
    unusedRules: () => [...Object.keys(rules.fail ?? {}), ...Object.keys(rules.stdout ?? {})].filter((k) => !used.has(k)),
    ready(pidfile) {
      for (const [path, pid] of [...pending]) {
        if (pidfile !== undefined && path !== pidfile) continue;
        files.set(path, String(pid));
        pending.delete(path);
      }
    },
    spawnPiped(argv): PipedChild {
      log.push(`piped ${argv.join(' ')}`);
      const unknown = notFound(argv);
      if (unknown) throw new Error(`spawn ${argv.join(' ')}: ${unknown.stderr}`);
      const listeners: ((line: string) => void)[] = [];
      const stopPrinting = rules.piped?.(argv, (line) => listeners.forEach((l) => l(line)));
      return {
        onLine: (l) => void listeners.push(l),
        onExit: () => {},
        stop: () => {
          stopPrinting?.();
          log.push('piped stop');
        },
      };
    },
    async runAttached(argv) {
      log.push(`attached ${argv.join(' ')}`);
      return notFound(argv)?.exitCode ?? 0;
    },
    serveUnix(path) {
      log.push(`serve ${path}`);
      return { close: () => void log.push(`closed ${path}`) };
    },
    async unixRequest(path) {
      const answer = rules.sockets?.[path];
      if (answer === undefined) throw new Error(`no socket ${path}`);
      return typeof answer === 'function' ? answer() : answer;
    },
    unixStream(path, request) {
      log.push(`stream ${path} ${request.trim()}`);
      const listeners: ((line: string) => void)[] = [];
      const exits: (() => void)[] = [];
      // haproxy's `show events RING -n` skips what the ring held already.
      const held = / -n$/.test(request.trim()) ? [] : (rules.streams?.[path] ?? []);
      for (const line of held) setTimeout(() => listeners.forEach((l) => l(line)), 0);
      return {
        onLine: (l) => void listeners.push(l),
        onExit: (f) => void exits.push(f),
        // As a real stream does, it tells its end a moment after it was stopped.
        stop: () => {
          log.push(`stream stop ${path}`);
          setTimeout(() => exits.forEach((f) => f()), 0);
        },
      };
    },
    writeFile: (path, content) => void files.set(path, content),
    mkdir: (path) => void log.push(`mkdir ${path}`),
    readFile: (path) => files.get(path),
    readBytes: (path) => (files.has(path) ? Buffer.from(files.get(path)!) : undefined),
    readNew: (path, from) => {
      const text = files.get(path) ?? '';
      return { text: text.slice(from), next: text.length };
    },
    exists: (path) => files.has(path) || (path.startsWith('/run/netns/') && netns.has(path.slice(11))),
    removeTree: (path) => void log.push(`rm -rf ${path}`),
    findByToken: (token) => [...tokens].filter(([t]) => (token.endsWith('/') ? t.startsWith(token) : t === token)).flatMap(([, pids]) => pids),
    signalByToken(token, signal, only) {
      log.push(`kill -${signal} ${only === undefined ? '' : `${only} `}${token}`);
      const pids = (tokens.get(token) ?? []).filter((pid) => only === undefined || pid === only);
      if (only !== undefined)
        tokens.set(
          token,
          (tokens.get(token) ?? []).filter((pid) => pid !== only),
        );
      else if (signal === 'SIGKILL' || signal === 'SIGTERM') tokens.delete(token);
      return pids;
    },
    async stopByToken(token) {
      log.push(`stop ${token}`);
      const pids = host.findByToken(token);
      if (!rules.unkillable) for (const t of [...tokens.keys()]) if (token.endsWith('/') ? t.startsWith(token) : t === token) tokens.delete(t);
      return pids;
    },
    isAlive: () => true,
    commandLine: (pid) => `fake ${pid}`,
    isRoot: () => true,
    which: (cmd) => `/usr/bin/${cmd}`,
    namespaces: () => [...netns],
    kernelModules: () => undefined,
    chooseDatapath: async (choice) => (choice === 'auto' ? 'netdev' : choice),
    containers: fakeEngine(log, rules),
  };
  return host;
}

/** A Docker engine in memory: containers by id, images by ref; every call logged. */
function fakeEngine(log: string[], rules: FakeRules): FakeHost['containers'] {
  const running = new Map<string, ContainerInfo>();
  const images = new Set<string>();
  let next = 1;
  const engine: FakeHost['containers'] = {
    running,
    images,
    endpoint: () => 'unix:///fake/docker.sock',
    version: async () => (rules.noDocker ? undefined : '20.10.24'),
    async start(spec) {
      log.push(`docker start ${spec.name} ${spec.image}${spec.command ? ` ${spec.command.join(' ')}` : ''}`);
      const c: ContainerInfo = { id: `c${next++}`.padEnd(64, '0'), name: spec.name, image: spec.image, labels: spec.labels, pid: 4000 + next };
      running.set(c.id, c);
      return c;
    },
    list: async (labels) => [...running.values()].filter((c) => Object.entries(labels).every(([k, v]) => c.labels[k] === v)),
    async remove(id) {
      log.push(`docker rm -f ${id.slice(0, 12)}`);
      running.delete(id);
    },
    async exec(id, argv) {
      log.push(`docker exec ${id.slice(0, 12)} ${argv.join(' ')}`);
      const fails = Object.keys(rules.fail ?? {}).find((k) => argv.join(' ').includes(k));
      return fails ? { exitCode: 1, output: rules.fail![fails] } : { exitCode: 0, output: '' };
    },
    hasImage: async (ref) => images.has(ref),
    async importImage(tar, ref) {
      log.push(`docker import ${ref} (${tar.length} bytes)`);
      images.add(ref);
    },
  };
  return engine;
}
