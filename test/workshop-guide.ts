// The workshop guide (docs/workshop.md) as its tests read it: each section's shell lines, in
// order, split into words as a shell would (quotes, no expansion).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers.js';

export const guide = readFileSync(join(ROOT, 'docs', 'workshop.md'), 'utf8');

/** Shell words, with single and double quotes. */
export function words(line: string): string[] {
  const out: string[] = [];
  for (const m of line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2] ?? m[3]);
  return out;
}

/** Lines of one ```sh block, comments and blank lines dropped. */
const blockLines = (text: string) =>
  text
    .trim()
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));

/** Every ```sh block, in order. */
export const blocks: string[][] = [...guide.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => blockLines(m[1]));

/** The guide's sections ("Exercise 3: L3 HA ..."), each with its shell lines in order. */
export const sections: { title: string; lines: string[] }[] = guide
  .split(/^## /m)
  .slice(1)
  .map((part) => ({
    title: part.split('\n')[0],
    lines: [...part.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) => blockLines(m[1])),
  }));
