// A plan is data: tasks of host operations. The engine applies it; `up --explain` prints it as
// the shell commands a person would type. Every object an op creates is named in `creates`,
// and every change an op makes that outlives it has an `undo`: the engine journals both
// before the op runs, so `down` and `clean` can remove or revert it even after a crash.
import { shellLine, shellQuote } from '../shell.js';

export type JournalEntry =
  | { kind: 'netns'; name: string }
  /** A process tree marked with env LABLB_TOKEN=token; its pid file is read when present. */
  | { kind: 'process'; name: string; token: string; pidfile?: string }
  /** A change to revert at teardown (a link taken down), unless settled first. */
  | { kind: 'undo'; id: string; what: string; argv: string[]; member?: string }
  /** An undo that no longer needs running: the experiment reverted the change itself. */
  | { kind: 'settled'; id: string }
  /** A member its runtime made (a container), found again by its token (never by name alone:
   *  a name may be another's); its runtime removes it. */
  | { kind: 'member'; runtime: string; name: string; token: string };

export interface Undo {
  /** Names the change: a later op that reverts it `settles` the same id. */
  id: string;
  what: string;
  argv: string[];
  /** The member it acts in: once that is gone there is nothing left to revert. */
  member?: string;
}

export type Op =
  /** Run a command to completion (stopped after timeoutMs: 60 s unless it says). */
  | { kind: 'run'; argv: string[]; input?: string; env?: Record<string, string>; creates?: JournalEntry[]; undo?: Undo; settles?: string; timeoutMs?: number }
  /** Write a file (a config). */
  | { kind: 'write'; path: string; content: string; mode?: number }
  /** Make directories (inside the lab's state dir). */
  | { kind: 'mkdir'; paths: string[] }
  /** A new, empty OVS database at `path` from the schema file, as `ovsdb-tool create` makes
   *  it, written by lablb itself (one process fewer before ovsdb-server can start). */
  | { kind: 'ovsdb-create'; path: string; schema: string }
  /** Start a long-lived process in the background and wait until `ready` exists: its pid
   *  file (lablb's agents write it once they serve) or a socket it makes. */
  | { kind: 'daemon'; argv: string[]; env: Record<string, string>; ready: string; logfile: string; creates: JournalEntry[] }
  /** Start a short-lived process in the background and go on (a gratuitous ARP that takes
   *  seconds); it carries its token, so teardown stops it if it still runs. */
  | { kind: 'spawn'; argv: string[]; env: Record<string, string>; logfile: string; creates: JournalEntry[] }
  /** Wait until a path exists (a socket a daemon creates). */
  | { kind: 'wait-path'; path: string; timeoutMs: number; what: string }
  /** Send a signal to the processes of one token (a service), as `kill -SIG` would; with
   *  `pidfile`, only to the process named there, if it carries the token (haproxy inside an
   *  amphora, beside its agent). */
  | { kind: 'signal'; token: string; signal: NodeJS.Signals; what: string; pidfile?: string }
  /** Stop the processes of one token: SIGTERM, SIGKILL after graceMs. */
  | { kind: 'stop'; token: string; graceMs: number; what: string }
  /** Something only a member runtime knows how to do (start a container): the engine hands
   *  `action` to the runtime named; `shell` is how a person would type it. */
  | { kind: 'member'; runtime: string; action: unknown; shell: string; what: string };

/** A named sequence of ops that runs once every task it comes `after` has finished. Tasks
 *  whose dependencies are met run at the same time: a web server starts while Open vSwitch is
 *  still wiring another node's ports. */
export interface Task {
  id: string;
  title: string;
  after: string[];
  ops: Op[];
}

export interface Plan {
  lab: string;
  /** Environment for every command (the private OVS's directories). */
  env: Record<string, string>;
  /** In an order that respects `after`, which is also the order `--explain` prints. */
  tasks: Task[];
}

export function allOps(plan: Plan): Op[] {
  return plan.tasks.flatMap((t) => t.ops);
}

/** A here-document whose end marker no line of the text can be: a config line "EOF" must not
 *  end it early and run the rest as commands. */
export function heredoc(text: string): { marker: string; body: string } {
  const lines = new Set(text.split('\n'));
  let marker = 'EOF';
  for (let i = 1; lines.has(marker); i++) marker = `EOF_LABLB_${i}`;
  return { marker, body: text.trimEnd() };
}

function withInput(command: string, input: string): string {
  const { marker, body } = heredoc(input);
  return `${command} <<'${marker}'\n${body}\n${marker}`;
}

/** One op as shell text, e.g. for `up --explain`. */
export function opToShell(op: Op): string {
  switch (op.kind) {
    case 'run':
      return op.input === undefined ? shellLine(op.argv, op.env) : withInput(shellLine(op.argv, op.env), op.input);
    case 'write':
      return withInput(`cat > ${shellQuote(op.path)}`, op.content) + (op.mode ? `\nchmod ${op.mode.toString(8)} ${shellQuote(op.path)}` : '');
    case 'mkdir':
      return shellLine(['mkdir', '-p', ...op.paths]);
    case 'ovsdb-create':
      return shellLine(['ovsdb-tool', 'create', op.path, op.schema]);
    case 'daemon':
      return `${shellLine(op.argv, op.env)} >>${shellQuote(op.logfile)} 2>&1 &\nuntil [ -e ${shellQuote(op.ready)} ]; do sleep 0.01; done`;
    case 'spawn':
      return `${shellLine(op.argv, op.env)} >>${shellQuote(op.logfile)} 2>&1 &`;
    case 'wait-path':
      return `until [ -e ${shellQuote(op.path)} ]; do sleep 0.05; done   # ${op.what}`;
    case 'member':
      return op.shell;
    case 'signal':
      if (op.pidfile)
        return `kill -${op.signal.replace(/^SIG/, '')} $(cat ${shellQuote(op.pidfile)})   # ${op.what}, if its environment has LABLB_TOKEN=${op.token}`;
      return `# send ${op.signal} to ${op.what}: the processes whose environment has LABLB_TOKEN=${op.token}`;
    case 'stop':
      return `# stop ${op.what}: the processes whose environment has LABLB_TOKEN=${op.token}`;
  }
}

export function planToShell(plan: Plan): string {
  const out = [
    `# lablb plan for lab ${plan.lab}: the commands \`lablb up\` runs, in an order that works when`,
    '# typed one by one. lablb itself runs each task as soon as the tasks it needs are done.',
    ...Object.entries(plan.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
  ];
  plan.tasks.forEach((task, i) => {
    const after = task.after.length ? ` (after: ${task.after.join(', ')})` : '';
    out.push('', `# ${i + 1}. [${task.id}] ${task.title}${after}`);
    for (const op of task.ops) out.push(opToShell(op));
  });
  return `${out.join('\n')}\n`;
}
