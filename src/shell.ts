// Quoting for the shell text lablb prints (`up --explain`, --debug). Nothing lablb runs goes
// through a shell; this is only how commands are shown to a person.
const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

export function shellQuote(arg: string): string {
  return arg !== '' && SAFE.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

export function shellLine(argv: string[], env?: Record<string, string>): string {
  const prefix = Object.entries(env ?? {})
    .map(([k, v]) => `${k}=${shellQuote(v)} `)
    .join('');
  return prefix + argv.map(shellQuote).join(' ');
}
