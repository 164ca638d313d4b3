// Three kinds of failure, each told differently (see README "Exit codes"):
// a UserError says what to do next; an ExternalError shows the command and its stderr;
// anything else is a bug, whose stack is shown only with --debug.

export const EXIT_OK = 0;
export const EXIT_CHECK_FAILED = 1;
export const EXIT_CANNOT_RUN = 2;

export class UserError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** A scenario that does not validate: every problem at once. */
export class ScenarioError extends UserError {
  constructor(
    readonly file: string,
    readonly problems: Problem[],
  ) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ScenarioError';
  }
}

export interface Problem {
  file: string;
  line: number;
  col: number;
  /** The field's path, e.g. nodes[2].ports[0].address; empty for the whole file. */
  path: string;
  message: string;
}

export function formatProblem(p: Problem): string {
  const where = p.line > 0 ? `${p.file}:${p.line}:${p.col}` : p.file;
  return p.path ? `${where}: ${p.path}: ${p.message}` : `${where}: ${p.message}`;
}

export class ExternalError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | undefined,
    readonly stderr: string,
  ) {
    super(`command failed (exit ${exitCode ?? '?'}): ${shortened(command)}${stderr ? `\n${stderr.trim()}` : ''}`);
    this.name = 'ExternalError';
  }
}

/** A command of thousands of arguments (a large lab's one ovs-vsctl call) cut to its start and
 *  end: the message is read on a terminal; --debug logs it whole. */
function shortened(command: string, most = 600): string {
  if (command.length <= most) return command;
  const half = most / 2;
  return `${command.slice(0, half)} ... (${command.length - most} characters) ... ${command.slice(-half)}`;
}

/** Teardown could not remove everything; what is left stays journaled for `clean`. */
export class TeardownError extends Error {
  constructor(
    readonly lab: string,
    readonly failures: string[],
  ) {
    super(`lab ${lab} was not fully removed:\n${failures.map((f) => `  ${f}`).join('\n')}\n  what is left stays in its journal: sudo lablb clean retries it`);
    this.name = 'TeardownError';
  }
}

/** A failure and the teardown failure that followed it: both are told, neither hides the other. */
export class CombinedError extends Error {
  constructor(readonly errors: unknown[]) {
    super(errors.map(errorMessage).join('\n'));
    this.name = 'CombinedError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
