// "Did you mean ...?": the nearest known word, and the keys a schema allows at a data path.
import type { z } from 'zod';

/** The closest candidate within a small edit distance, if any. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

type AnySchema = z.core.$ZodType;
interface Def {
  type: string;
  innerType?: AnySchema;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  options?: AnySchema[];
  discriminator?: string;
  valueType?: AnySchema;
  values?: unknown[];
}
const defOf = (s: AnySchema): Def => (s as unknown as { _zod: { def: Def } })._zod.def;

/** The field names an object schema allows at a data path (following union kinds by the data). */
export function keysAt(schema: AnySchema, data: unknown, path: readonly (string | number)[]): string[] {
  let s: AnySchema | undefined = schema;
  let v: unknown = data;
  for (const part of [...path, undefined]) {
    s = s && unwrap(s, v);
    if (!s) return [];
    if (part === undefined) break;
    const def = defOf(s);
    if (def.type === 'object') s = def.shape?.[part as string];
    else if (def.type === 'array') s = def.element;
    else if (def.type === 'record') s = def.valueType;
    else return [];
    v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[part] : undefined;
  }
  const def = s && defOf(s);
  if (def?.type === 'union') return [...new Set((def.options ?? []).flatMap((o) => Object.keys(defOf(o).shape ?? {})))];
  return def?.type === 'object' ? Object.keys(def.shape ?? {}) : [];
}

function unwrap(s: AnySchema, value: unknown): AnySchema | undefined {
  for (;;) {
    const def = defOf(s);
    if (def.innerType) {
      s = def.innerType;
      continue;
    }
    // Told apart by their keys (the waits): the caller offers every option's keys.
    if (def.type === 'union' && def.options && !def.discriminator) return s;
    if (def.type === 'union' && def.options) {
      const kind = def.discriminator && value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[def.discriminator] : undefined;
      const match = def.options.find((o) => {
        const d = defOf(o);
        const lit = def.discriminator ? d.shape?.[def.discriminator] : undefined;
        return lit !== undefined && (defOf(lit).values ?? []).includes(kind);
      });
      if (!match) return undefined;
      s = match;
      continue;
    }
    return s;
  }
}
