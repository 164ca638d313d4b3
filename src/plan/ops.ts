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
  /** Start a long-lived process of lablb's own (an agent) in the background; it writes its pid
   *  file once it serves, which is also how the engine knows it is ready. */
  | { kind: 'daemon'; argv: string[]; env: Record<string, string>; pidfile: string; logfile: string; creates: JournalEntry[] }
  /** Wait until a path exists (a socket a daemon creates). */
  | { kind: 'wait-path'; path: string; timeoutMs: number; what: string };

export interface Phase {
  title: string;
  /** Lanes run in parallel; the ops of one lane run in order. */
  lanes: Op[][];
}

export interface Plan {
  lab: string;
  /** Environment for every command (the private OVS's directories). */
  env: Record<string, string>;
  phases: Phase[];
}

export function allOps(plan: Plan): Op[] {
  return plan.phases.flatMap((p) => p.lanes.flat());
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
    case 'daemon':
      return `${shellLine(op.argv, op.env)} >>${shellQuote(op.logfile)} 2>&1 &   # writes ${op.pidfile} once serving`;
    case 'wait-path':
      return `until [ -e ${shellQuote(op.path)} ]; do sleep 0.05; done   # ${op.what}`;
  }
}

export function planToShell(plan: Plan): string {
  const out = [
    `# lablb plan for lab ${plan.lab}: the commands \`lablb up\` runs, in order.`,
    ...Object.entries(plan.env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
  ];
  plan.phases.forEach((phase, i) => {
    out.push('', `# ${i + 1}. ${phase.title}${phase.lanes.length > 1 ? ' (lablb runs these groups in parallel)' : ''}`);
    for (const lane of phase.lanes) for (const op of lane) out.push(opToShell(op));
  });
  return `${out.join('\n')}\n`;
}
