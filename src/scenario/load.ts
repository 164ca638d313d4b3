// Read a scenario file and check its shape, reporting every problem with file, line and column.
// Pure with respect to the host: it reads one file and touches nothing else.
import { readFileSync, statSync } from 'node:fs';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import type { z } from 'zod';
import { ScenarioError, type Problem } from '../errors.js';
import { safeJson } from '../safe-text.js';
import { Scenario, type ScenarioFile } from './schema.js';
import { noteSets, substitute, type ParameterValue } from './parameters.js';
import { keysAt, nearest } from '../suggest.js';
import { expandRepeats, type Expanded } from './repeat.js';

/** Larger than any sensible lab; stops a wrong path (a log, an image) early. */
export const MAX_SCENARIO_BYTES = 1024 * 1024;
/** A scenario is a few levels deep; a file thousands deep is an attack on the parser. */
const MAX_DEPTH = 64;
const MAX_ALIAS_EXPANSIONS = 100;

export interface Located {
  file: string;
  /** Line and column (1-based) of the value at a field path, for later checks. */
  locate(path: (string | number)[]): { line: number; col: number };
  /** Where a value was written: its own path, or for a repeat block's copy its template's and
   *  the copy's number. */
  written?(path: (string | number)[]): { path: (string | number)[]; copy?: number };
}

export interface LoadedScenario extends Located {
  scenario: ScenarioFile;
}

export function loadScenarioFile(file: string, sets: Map<string, ParameterValue> = new Map()): LoadedScenario {
  return parseScenario(readScenarioText(file), file, sets);
}

function readScenarioText(file: string): string {
  const fail = (message: string): never => {
    throw new ScenarioError(file, [{ file, line: 0, col: 0, path: '', message }]);
  };
  let size = 0;
  try {
    const st = statSync(file);
    if (st.isDirectory()) fail('is a directory, not a scenario file');
    size = st.size;
  } catch (err) {
    if (err instanceof ScenarioError) throw err;
    fail('no such file');
  }
  if (size > MAX_SCENARIO_BYTES) fail(`is ${size} bytes; a scenario file is at most ${MAX_SCENARIO_BYTES} bytes`);
  const buf = readFileSync(file);
  if (buf.includes(0)) fail('is a binary file (it contains NUL bytes), not YAML');
  const text = buf.toString('utf8');
  if (text.trim() === '') fail('is empty; a scenario needs at least name, switch, networks and nodes');
  return text;
}

export function parseScenario(text: string, file: string, sets: Map<string, ParameterValue> = new Map()): LoadedScenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, col };
  };
  const locate = (path: (string | number)[]) => at(rangeOf(doc.contents, path));

  if (doc.errors.length > 0) {
    throw new ScenarioError(
      file,
      doc.errors
        .map((e) => ({ file, ...at(e.pos[0]), path: '', message: yamlMessage(e.message) }))
        // One overflow is reported as many.
        .filter((p, i, all) => !all.slice(0, i).some((q) => q.message === p.message && /too deeply/.test(p.message))),
    );
  }
  const deep = deeperThan(doc.contents, MAX_DEPTH);
  if (deep) throw new ScenarioError(file, [{ file, ...at(deep.range?.[0] ?? 0), path: '', message: `nested more than ${MAX_DEPTH} levels deep` }]);
  let data: unknown;
  try {
    // An alias expanded too often (a "billion laughs" file) stops here, not in memory.
    data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
  } catch (err) {
    if (!(err instanceof ReferenceError)) throw err;
    let first = 0;
    visit(doc, {
      Alias: (_key, node) => {
        first = node.range?.[0] ?? 0;
        return visit.BREAK;
      },
    });
    throw new ScenarioError(file, [
      { file, ...at(first), path: '', message: `aliases expand too many times (at most ${MAX_ALIAS_EXPANSIONS}): write the values out` },
    ]);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ScenarioError(file, [{ file, line: 1, col: 1, path: '', message: 'expected a mapping with name, switch, networks and nodes' }]);
  }
  // "${name}" values take their parameter's value (its default, or what --set says).
  const substitution = substitute(data as Record<string, unknown>, sets, file);
  // repeat: blocks copied into networks and nodes; a copy's problems point at its template.
  const expanded = expandRepeats(data as Record<string, unknown>);
  const written = (path: (string | number)[]) => expanded.origin(path).path;
  const locateWritten = (path: (string | number)[]) => locate(written(path));
  const parsed = expanded.problems.length ? undefined : Scenario.safeParse(data);
  const located = [...substitution.problems, ...expanded.problems].map((p) => ({
    file,
    ...at(rangeOf(doc.contents, p.path)),
    path: formatPath(p.path),
    message: p.message,
  }));
  if (!parsed?.success || located.length > 0) {
    // A value left as "${unknown}" is reported once, as an unknown parameter.
    const problems = (
      parsed && !parsed.success ? parsed.error.issues.map((issue) => issueToProblem(issue, data, file, doc.contents, lineCounter, expanded)) : []
    ).filter((p) => !located.some((l) => l.path === p.path));
    throw new ScenarioError(file, noteSets(dedupe([...located, ...problems]), substitution, sets, formatPath).sort(byPosition));
  }
  return { file, scenario: parsed.data, locate: locateWritten, written: expanded.origin };
}

function yamlMessage(message: string): string {
  // A document nested thousands deep overflows the parser's stack before any depth check.
  if (/call stack/i.test(message)) return `nested too deeply (a scenario is at most ${MAX_DEPTH} levels deep)`;
  // The yaml library appends a source excerpt after a colon and newline; the position says where.
  return `YAML syntax: ${message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
}

/** The first node deeper than `max` levels, found without recursion. */
function deeperThan(root: YamlNode | null, max: number): YamlNode | undefined {
  const stack: [unknown, number][] = [[root, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > max) return node as YamlNode;
    if (isMap(node)) for (const p of node.items) stack.push([p.value, depth + 1]);
    else if (isSeq(node)) for (const item of node.items) stack.push([item, depth + 1]);
  }
  return undefined;
}

/** Offset of the YAML node at a field path; for a missing field, its parent's. */
function rangeOf(root: YamlNode | null, path: (string | number)[], wantKey = false): number {
  let node: unknown = root;
  let offset = (root as YamlNode | null)?.range?.[0] ?? 0;
  for (const [i, part] of path.entries()) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && p.key.value === part);
      if (!pair) return offset;
      const last = i === path.length - 1;
      const target = last && wantKey ? pair.key : (pair.value ?? pair.key);
      node = target;
      offset = (target as YamlNode | null)?.range?.[0] ?? offset;
    } else if (isSeq(node) && typeof part === 'number') {
      const item = node.items[part];
      if (!item) return offset;
      node = item;
      offset = (item as YamlNode).range?.[0] ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out ? `.${String(part)}` : String(part);
  }
  return out;
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data;
  for (const part of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[part];
  }
  return v;
}

function show(v: unknown): string {
  if (typeof v === 'string') return safeJson(v);
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return String(v);
}

function describeType(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  return `${typeof v === 'string' ? 'the text' : typeof v === 'number' ? 'the number' : 'the value'} ${show(v)}`;
}

export type Issue = z.core.$ZodIssue;

function issueToProblem(issue: Issue, data: unknown, file: string, root: YamlNode | null, lines: LineCounter, expanded: Expanded): Problem {
  const { where, pointAtKey, message } = explainIssue(issue, data, Scenario);
  const { path, copy } = expanded.origin(where);
  const { line, col } = lines.linePos(rangeOf(root, path, pointAtKey));
  return { file, line, col, path: formatPath(path), message: copy ? `${message} (in copy ${copy}, i=${copy})` : message };
}

/** What a schema's complaint means to the person who wrote `data`, and where it points: one
 *  message for the whole file, and for a block checked later (a node an add-node step adds). */
export function explainIssue(issue: Issue, data: unknown, schema: z.ZodType): { where: (string | number)[]; pointAtKey: boolean; message: string } {
  const path = issue.path.filter((p): p is string | number => typeof p !== 'symbol');
  const value = valueAt(data, path);
  let message: string;
  let where = path;
  let pointAtKey = false;
  switch (issue.code) {
    case 'unrecognized_keys': {
      const key = issue.keys[0];
      const hint = nearest(key, keysAt(schema, data, path));
      message = `unknown field ${JSON.stringify(key)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}`;
      where = [...path, key];
      pointAtKey = true;
      break;
    }
    case 'invalid_type':
      message = value === undefined ? 'missing required field' : `expected ${article(issue.expected)}, got ${describeType(value)}`;
      break;
    case 'invalid_union': {
      const options = (issue as { options?: unknown[] }).options;
      if (options) {
        const known = options.map(String);
        const hint = typeof value === 'string' ? nearest(value, known) : undefined;
        message = `unknown ${String(path.at(-1))} ${show(value)}; known: ${known.join(', ')}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`;
      } else {
        // Not told apart by a kind: the branch that came closest says what is wrong.
        const branches = ((issue as { errors?: Issue[][] }).errors ?? []).filter((b) => b.length > 0);
        const closest = branches.sort((a, b) => unionDistance(a) - unionDistance(b))[0];
        if (closest && typeof value === 'object' && value !== null) {
          // A misspelt key is both a missing field and an unknown one: the unknown one, with
          // its nearest known name, is what to tell ("vrp": did you mean "vrrp"?).
          const first = closest.find((i) => i.code === 'unrecognized_keys') ?? closest[0];
          return explainIssue({ ...first, path: [...issue.path, ...first.path] } as Issue, data, schema);
        }
        message = `got ${show(value)}; expected ${/^an? /.test(issue.message) ? issue.message : 'one of the allowed forms'}`;
      }
      break;
    }
    case 'invalid_key': {
      // A record's key (a sysctl's name): what the key's own check says.
      const inner = (issue as { issues?: Issue[] }).issues?.[0]?.message ?? 'not allowed here';
      message = `${JSON.stringify(String(path.at(-1)))}: ${inner}`;
      pointAtKey = true;
      break;
    }
    case 'invalid_value': {
      const known = issue.values.map(String);
      const hint = typeof value === 'string' ? nearest(value, known) : undefined;
      message = `got ${show(value)}; expected one of ${known.join(', ')}${hint ? ` (did you mean ${JSON.stringify(hint)}?)` : ''}`;
      break;
    }
    case 'too_big':
    case 'too_small': {
      const bound = issue.code === 'too_big' ? issue.maximum : issue.minimum;
      const cmp = issue.code === 'too_big' ? (issue.inclusive ? '<=' : '<') : issue.inclusive ? '>=' : '>';
      if (issue.origin === 'array') {
        message = `has ${Array.isArray(value) ? value.length : 0} entries; needs ${cmp} ${String(bound)}`;
      } else if (issue.origin === 'string') {
        message = `is ${typeof value === 'string' ? value.length : 0} characters long; needs ${cmp} ${String(bound)}`;
      } else {
        message = `${show(value)} is out of range; must be ${cmp} ${String(bound)}`;
      }
      if (/^an? /.test(issue.message)) message += ` (${issue.message})`;
      break;
    }
    default:
      message = /^an? /.test(issue.message) ? `got ${show(value)}; expected ${issue.message}` : issue.message;
  }
  return { where, pointAtKey, message };
}

/** How far a union's branch is from what was written: unknown or missing fields count most. */
function unionDistance(issues: Issue[]): number {
  return issues.reduce((n, i) => n + (i.code === 'unrecognized_keys' || (i.code === 'invalid_type' && i.path.length === 1) ? 10 : 1), 0);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

const COPY_NOTE = / \(in copy \d+, i=\d+\)$/;

function dedupe(problems: Problem[]): Problem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    // The same problem in every copy of a repeat block is told once, for the first copy.
    // (its message may quote the copy's own value, so a copy's problem is keyed by place alone).
    const k = COPY_NOTE.test(p.message) ? `${p.line}:${p.col}:${p.path}:copy` : `${p.line}:${p.col}:${p.path}:${p.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function byPosition(a: Problem, b: Problem): number {
  return a.line - b.line || a.col - b.col;
}
