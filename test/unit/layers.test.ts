// The house's shape, kept: data flows one way (scenario -> plan -> engine -> experiment ->
// reporters), only drivers/ touch the host, only the member runtime spells how to reach a
// member. A new import against the layers fails here, naming the file and what it imports.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers.js';

const SRC = join(ROOT, 'src');

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p);
    return /\.tsx?$/.test(e.name) && !/\.test\.tsx?$/.test(e.name) ? [p] : [];
  });
}

/** The layer of a module: its folder under src/, or "base" for the files at the top. */
function layer(file: string): string {
  const rel = relative(SRC, file);
  const top = rel.split('/')[0];
  if (rel === 'cli.ts') return 'cli';
  return rel.includes('/') ? top : 'base';
}

interface Import {
  target: string;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/^(import|export)(\s+type)?\s[^;]*?from\s+'([^']+)'/gms)) out.push({ target: m[3], typeOnly: Boolean(m[2]) });
  for (const m of text.matchAll(/import\('([^']+)'\)/g)) out.push({ target: m[1], typeOnly: false });
  return out;
}

/** What each layer may import (besides itself and node's builtins). */
const ALLOWED: Record<string, string[]> = {
  base: ['base'],
  net: ['base'],
  drivers: ['base'],
  agents: [],
  kinds: ['base', 'observe', 'plan', 'report'],
  runtime: ['base', 'plan'],
  links: ['base', 'plan', 'runtime'],
  report: ['base'],
  render: ['base'],
  services: ['base', 'kinds', 'net', 'observe', 'plan', 'runtime', 'agents'],
  waits: ['base', 'kinds', 'observe', 'scenario'],
  security: ['base', 'kinds', 'net', 'plan', 'runtime', 'scenario'],
  steps: ['base', 'kinds', 'links', 'observe', 'plan', 'runtime', 'render', 'security', 'services', 'waits', 'report'],
  scenario: ['base', 'kinds', 'net', 'security', 'services', 'steps'],
  plan: ['base', 'links', 'render', 'runtime', 'security', 'services'],
  engine: ['base', 'kinds', 'plan', 'report', 'runtime', 'services', 'steps'],
  observe: ['base', 'kinds', 'render', 'report', 'runtime', 'security', 'services'],
  experiment: ['base', 'agents', 'engine', 'kinds', 'observe', 'plan', 'report', 'runtime', 'services', 'steps'],
  ui: ['base', 'kinds', 'observe', 'report', 'security', 'services'],
  docs: ['base', 'scenario', 'services', 'steps', 'waits'],
  commands: ['base', 'engine', 'experiment', 'observe', 'plan', 'report', 'runtime', 'scenario', 'security', 'ui'],
  cli: ['base', 'commands', 'drivers', 'report'],
};

t.test('every import follows the layers', async (t) => {
  const wrong: string[] = [];
  for (const file of files(SRC)) {
    const from = layer(file);
    for (const imp of importsOf(file)) {
      const rel = relative(SRC, file);
      if (imp.target === 'execa' && rel !== 'drivers/process.ts') wrong.push(`${rel} imports execa (only drivers/process.ts may)`);
      // Agents are processes of their own, in the nodes: their sockets are their job.
      if (/^node:(child_process|net)$/.test(imp.target) && from !== 'drivers' && from !== 'agents') wrong.push(`${rel} imports ${imp.target} (only drivers/ may)`);
      if (!imp.target.startsWith('.')) continue;
      const to = layer(resolve(dirname(file), imp.target));
      // Agents run as their own processes and load node's builtins only; types are erased.
      if (from === 'agents') {
        const fine = to === 'agents' || (to === 'base' && (imp.typeOnly || rel === 'agents/launch.ts'));
        if (!fine) wrong.push(`${rel} imports ${imp.target}`);
        continue;
      }
      if (to !== from && !(ALLOWED[from] ?? []).includes(to)) wrong.push(`${rel} (${from}) imports ${imp.target} (${to})`);
    }
  }
  t.same(wrong, [], 'imports against the layers');
});

t.test('only the member runtime spells how to reach a member', async (t) => {
  const spelled = files(SRC).filter((f) => /netns', 'exec'|ip netns exec|'-n', /.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
  // The namespace runtime; containers are reached through the engine (docker exec).
  t.same(spelled, ['runtime/netns.ts']);
});

t.test('the layer table is not vacuous: a wrong import would be caught', async (t) => {
  t.notOk(ALLOWED.engine.includes('ui'));
  t.notOk(ALLOWED.ui.includes('drivers'));
  t.equal(layer(join(SRC, 'cli.ts')), 'cli');
  t.equal(layer(join(SRC, 'services', 'haproxy', 'haproxy.ts')), 'services');
  t.same(importsOf(join(SRC, 'engine', 'engine.ts')).filter((i) => i.target.includes('drivers')), []);
});
