// `repeat:` blocks: networks and nodes written once and copied `count` times, so a network node
// of a thousand routers is a short file (`lablb run scale-routers --set routers=1000`). In a
// copy, `{i}` is its number (1..count) and `{expr}` an integer expression of i (+ - * / %,
// brackets; / rounds down): "qrouter{i}", "172.24.{i / 250}.{i % 250 + 2}". A value that is
// only `{expr}` becomes a number (vlan: "{i}"). The copies join the file's own networks and
// nodes before the schema checks them; a problem in a copy points at its template.

export const MAX_COPIES = 1000;
/** Networks and nodes all blocks may add: what the schema allows a lab, and no more work. */
const MAX_COPIED = 1024 + 2048;
const EXPRESSION = /\{([0-9i+\-*/%() ]+)\}/g;
const WHOLE = /^\{([0-9i+\-*/%() ]+)\}$/;

type Path = (string | number)[];

export interface Expanded {
  problems: { path: Path; message: string }[];
  /** Where an expanded value was written: its template's path, and which copy. */
  origin(path: Path): { path: Path; copy?: number };
}

interface Range {
  list: 'networks' | 'nodes';
  start: number;
  block: number;
  templates: number;
  copies: number;
}

export function expandRepeats(data: Record<string, unknown>): Expanded {
  const ranges: Range[] = [];
  const problems: Expanded['problems'] = [];
  const origin = (path: Path) => {
    const r = ranges.find((x) => path[0] === x.list && typeof path[1] === 'number' && path[1] >= x.start && path[1] < x.start + x.templates * x.copies);
    if (!r) return { path };
    const offset = (path[1] as number) - r.start;
    return { path: ['repeat', r.block, r.list, offset % r.templates, ...path.slice(2)], copy: Math.floor(offset / r.templates) + 1 };
  };
  const blocks = data.repeat;
  if (blocks === undefined) return { problems, origin };
  delete data.repeat;
  if (!Array.isArray(blocks)) return { problems: [{ path: ['repeat'], message: 'expected a list of blocks, each with count and networks or nodes' }], origin };
  let copied = 0;
  blocks.forEach((block: unknown, b) => {
    if (!block || typeof block !== 'object' || Array.isArray(block)) {
      problems.push({ path: ['repeat', b], message: 'expected a block with count and networks or nodes' });
      return;
    }
    const { count, ...lists } = block as Record<string, unknown>;
    for (const key of Object.keys(lists)) {
      if (key !== 'networks' && key !== 'nodes')
        problems.push({ path: ['repeat', b, key], message: `unknown field ${JSON.stringify(key)}: a block repeats networks and nodes` });
    }
    if (typeof count !== 'number' || !Number.isInteger(count) || count < 1 || count > MAX_COPIES) {
      problems.push({ path: ['repeat', b, 'count'], message: `expected a whole number of copies from 1 to ${MAX_COPIES}` });
      return;
    }
    for (const list of ['networks', 'nodes'] as const) {
      const templates = lists[list];
      if (templates === undefined) continue;
      if (!Array.isArray(templates) || templates.length === 0) {
        problems.push({ path: ['repeat', b, list], message: `expected a list of ${list} to copy` });
        continue;
      }
      copied += templates.length * count;
      if (copied > MAX_COPIED) {
        problems.push({
          path: ['repeat', b, list],
          message: `copies more than ${MAX_COPIED} networks and nodes in all; a lab has at most 1024 networks and 2048 nodes`,
        });
        return;
      }
      const target = Array.isArray(data[list]) ? (data[list] as unknown[]) : [];
      data[list] = target;
      ranges.push({ list, start: target.length, block: b, templates: templates.length, copies: count });
      for (let i = 1; i <= count; i++) {
        templates.forEach((template, t) =>
          target.push(
            copyOf(template, i, (message, at) => {
              // A template's problem is the same in every copy: told once.
              const path = ['repeat', b, list, t, ...at];
              if (!problems.some((p) => p.path.join('.') === path.join('.'))) problems.push({ path, message });
            }),
          ),
        );
      }
    }
  });
  return { problems, origin };
}

/** The template with every `{expr}` worked out for copy i. */
function copyOf(value: unknown, i: number, problem: (message: string, at: Path) => void, at: Path = []): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    try {
      if (whole) return evaluate(whole[1], i);
      return value.replace(EXPRESSION, (_m, expr: string) => String(evaluate(expr, i)));
    } catch (err) {
      problem(`${value}: ${(err as Error).message}`, at);
      return value;
    }
  }
  if (Array.isArray(value)) return value.map((v, k) => copyOf(v, i, problem, [...at, k]));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, copyOf(v, i, problem, [...at, k])]));
  return value;
}

/** An integer expression of i: numbers, i, + - * / %, brackets. No eval: a small parser. */
export function evaluate(text: string, i: number): number {
  const tokens = text.match(/\d+|i|[-+*/%()]/g) ?? [];
  if (tokens.join('') !== text.replace(/ /g, '')) throw new Error('an expression of i uses numbers, i, + - * / % and brackets');
  let pos = 0;
  const peek = () => tokens[pos];
  const primary = (): number => {
    const tok = tokens[pos++];
    if (tok === undefined) throw new Error('the expression ends too early');
    if (tok === 'i') return i;
    if (tok === '(') {
      const v = sum();
      if (tokens[pos++] !== ')') throw new Error('a bracket is not closed');
      return v;
    }
    if (tok === '-') return -primary();
    if (/^\d+$/.test(tok)) return Number(tok);
    throw new Error(`unexpected ${JSON.stringify(tok)}`);
  };
  const product = (): number => {
    let v = primary();
    while (peek() === '*' || peek() === '/' || peek() === '%') {
      const op = tokens[pos++];
      const r = primary();
      if (op !== '*' && r === 0) throw new Error('division by zero');
      v = op === '*' ? v * r : op === '/' ? Math.floor(v / r) : v % r;
    }
    return v;
  };
  const sum = (): number => {
    let v = product();
    while (peek() === '+' || peek() === '-') v = tokens[pos++] === '+' ? v + product() : v - product();
    return v;
  };
  const v = sum();
  if (pos !== tokens.length) throw new Error(`unexpected ${JSON.stringify(tokens[pos])}`);
  return v;
}
