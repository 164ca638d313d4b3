// Scenario parameters: a file declares them with defaults (`parameters:`), uses one as a whole
// value ("${health_monitor.delay}"), and a run may override them (`--set name=value`). Values
// are substituted before the schema checks the file, so a wrong one is reported where it is
// used, like any other value.
import { parse } from 'yaml';
import { UserError } from '../errors.js';
import type { Problem } from '../errors.js';
import { nearest } from '../suggest.js';

export const PARAMETER_NAME = /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$/;
const USE = /^\$\{([^}]*)\}$/;

export type ParameterValue = string | number | boolean;

export interface Declared {
  default: ParameterValue;
  description?: string;
}

/** `--set name=value` strings, as typed; the value is read as YAML reads a scalar (5 is a number). */
export function parseSets(sets: string[]): Map<string, ParameterValue> {
  const out = new Map<string, ParameterValue>();
  for (const set of sets) {
    const eq = set.indexOf('=');
    const name = eq > 0 ? set.slice(0, eq) : '';
    if (!PARAMETER_NAME.test(name)) throw new UserError(`--set ${JSON.stringify(set)}: expected name=value, e.g. --set health_monitor.delay=5`);
    let value: unknown;
    try {
      value = parse(set.slice(eq + 1));
    } catch {
      value = set.slice(eq + 1);
    }
    if (!['string', 'number', 'boolean'].includes(typeof value))
      throw new UserError(`--set ${name}: the value must be a number, true/false or text, got ${JSON.stringify(set.slice(eq + 1))}`);
    out.set(name, value as ParameterValue);
  }
  return out;
}

/** The parameters a file declares (only well-formed ones; the schema reports the rest). */
export function declaredParameters(data: Record<string, unknown>): Map<string, Declared> {
  const block = data.parameters;
  const out = new Map<string, Declared>();
  if (!block || typeof block !== 'object' || Array.isArray(block)) return out;
  for (const [name, d] of Object.entries(block)) {
    const def = (d as { default?: unknown } | null)?.default;
    if (PARAMETER_NAME.test(name) && ['string', 'number', 'boolean'].includes(typeof def)) {
      out.set(name, { default: def as ParameterValue, description: (d as { description?: string }).description });
    }
  }
  return out;
}

export interface Substitution {
  /** Where each use was, and which parameter (and whether --set gave its value). */
  uses: { path: (string | number)[]; name: string; set: boolean }[];
  problems: { path: (string | number)[]; message: string }[];
}

/** Replaces every "${name}" value in place. Unknown names are problems at their use. */
export function substitute(data: Record<string, unknown>, sets: Map<string, ParameterValue>, file: string): Substitution {
  const declared = declaredParameters(data);
  for (const name of sets.keys()) {
    if (!declared.has(name)) {
      const known = [...declared.keys()];
      const hint = nearest(name, known);
      throw new UserError(
        `--set ${name}: ${file} has no parameter named ${JSON.stringify(name)}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}`,
        known.length
          ? `its parameters: ${known.map((k) => `${k} (default ${JSON.stringify(declared.get(k)!.default)})`).join(', ')}`
          : 'it declares no parameters',
      );
    }
  }
  const result: Substitution = { uses: [], problems: [] };
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      const m = USE.exec(v);
      if (!m) return v;
      const d = declared.get(m[1]);
      if (!d) {
        const hint = nearest(m[1], [...declared.keys()]);
        result.problems.push({
          path,
          message: `no parameter named ${JSON.stringify(m[1])}${hint ? `; did you mean ${JSON.stringify(hint)}?` : ''}; declare it under parameters:`,
        });
        return v;
      }
      result.uses.push({ path, name: m[1], set: sets.has(m[1]) });
      return sets.has(m[1]) ? sets.get(m[1]) : d.default;
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) (v as Record<string, unknown>)[k] = walk(x, [...path, k]);
    }
    return v;
  };
  for (const [k, v] of Object.entries(data)) if (k !== 'parameters') data[k] = walk(v, [k]);
  return result;
}

/** A problem at a value --set gave says so. */
export function noteSets(problems: Problem[], sub: Substitution, sets: Map<string, ParameterValue>, pathText: (p: (string | number)[]) => string): Problem[] {
  return problems.map((p) => {
    const use = sub.uses.find((u) => u.set && pathText(u.path) === p.path);
    return use ? { ...p, message: `${p.message} (from --set ${use.name}=${String(sets.get(use.name))})` } : p;
  });
}
