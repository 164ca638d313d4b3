// Text a terminal can trust. Whatever came from a scenario, a --set value, a daemon's log, a
// container or the host is printed with the characters a terminal acts on made visible: C0
// controls (but newline and tab), DEL, C1 controls (0x9b is CSI on some terminals) and the
// bidirectional overrides that make text read differently from what it is.
/** DEL, C1 and the bidirectional controls, as a character class body (C0 comes separately:
 *  newline and tab are safe in output, and not in a one-line field). */
export const UNSAFE_ABOVE_C0 = '\\u007f-\\u009f\\u061c\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
const UNSAFE = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${UNSAFE_ABOVE_C0}]`, 'g');
const UNSAFE_FOR_JSON = new RegExp(`[${UNSAFE_ABOVE_C0}]`, 'g');

const hex = (c: string, width: number) => c.charCodeAt(0).toString(16).padStart(width, '0');

/** "\x1b[2J" is shown as the four characters \x1b and then [2J. */
export function safeText(s: string): string {
  return s.replace(UNSAFE, (c) => (c.charCodeAt(0) < 0x100 ? `\\x${hex(c, 2)}` : `\\u${hex(c, 4)}`));
}

/** JSON with every such character as a \u escape: JSON.stringify leaves DEL, C1 and the
 *  overrides as they are. */
export function safeJson(value: unknown): string {
  return JSON.stringify(value).replace(UNSAFE_FOR_JSON, (c) => `\\u${hex(c, 4)}`);
}

/** Every string in a plain structure made safe; the same object back when none needed it. */
export function safeDeep<T>(value: T): T {
  if (typeof value === 'string') return safeText(value) as T;
  if (Array.isArray(value)) {
    const out = value.map(safeDeep);
    return out.some((x, i) => x !== value[i]) ? (out as T) : value;
  }
  if (value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value);
    const out = entries.map(([k, v]) => [k, safeDeep(v)] as const);
    return out.some(([, v], i) => v !== entries[i][1]) ? (Object.fromEntries(out) as T) : value;
  }
  return value;
}
