// A plan is data: ordered phases of host operations. The engine applies it; `up --explain`
// prints it as the shell commands a person would type. Every object an op creates is named in
// `creates`, so the engine can journal it before the op runs.

export type JournalEntry =
  | { kind: 'netns'; name: string }
  /** A process tree marked with env LABLB_TOKEN=token; its pid file is read when present. */
  | { kind: 'process'; name: string; token: string; pidfile?: string };

export type Op =
  /** Run a command to completion. */
  | { kind: 'run'; argv: string[]; input?: string; env?: Record<string, string>; creates?: JournalEntry[] }
  /** Write a file (a config). */
  | { kind: 'write'; path: string; content: string }
  /** Make directories (inside the lab's state dir). */
  | { kind: 'mkdir'; paths: string[] }
  /** Start a long-lived process in the background and wait until `ready` exists: its pid
   *  file (lablb's agents write it once they serve) or a socket it makes. */
  | { kind: 'daemon'; argv: string[]; env: Record<string, string>; ready: string; logfile: string; creates: JournalEntry[] }
  /** Wait until a path exists (a socket a daemon creates). */
  | { kind: 'wait-path'; path: string; timeoutMs: number; what: string };

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

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(arg: string): string {
  return arg !== '' && SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellLine(argv: string[], env?: Record<string, string>): string {
  const prefix = Object.entries(env ?? {}).map(([k, v]) => `${k}=${shellQuote(v)} `).join('');
  return prefix + argv.map(shellQuote).join(' ');
}

/** One op as shell text, e.g. for `up --explain`. */
export function opToShell(op: Op): string {
  switch (op.kind) {
    case 'run':
      return op.input === undefined
        ? shellLine(op.argv, op.env)
        : `${shellLine(op.argv, op.env)} <<'EOF'\n${op.input.trimEnd()}\nEOF`;
    case 'write':
      return `cat > ${shellQuote(op.path)} <<'EOF'\n${op.content.trimEnd()}\nEOF`;
    case 'mkdir':
      return shellLine(['mkdir', '-p', ...op.paths]);
    case 'daemon':
      return `${shellLine(op.argv, op.env)} >>${shellQuote(op.logfile)} 2>&1 &\nuntil [ -e ${shellQuote(op.ready)} ]; do sleep 0.01; done`;
    case 'wait-path':
      return `until [ -e ${shellQuote(op.path)} ]; do sleep 0.05; done   # ${op.what}`;
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
