// The house's shape, kept. Folders stand in ranks, and an import goes only downwards: contracts
// at the bottom, kinds and runtimes in the middle, engine, commands and the screen on top. Two
// folders that import each other cannot both be placed, whatever the table says: the folder
// graph is checked for cycles on its own. Kinds do not import kinds, only drivers/ touch the
// host, and only the member runtime spells how to reach a member.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers.js';

const SRC = join(ROOT, 'src');

/** Lowest first. A folder imports only from folders of lower ranks (and itself). */
const RANKS: string[][] = [
  ['base', 'net'], // plain data and pure helpers: the model, the host interface, errors
  ['kinds'], // contracts: what a service, step and wait kind is; ops, facts, events
  ['drivers', 'agents', 'runtime', 'report'], // the host, the in-node agents, how to reach a member
  ['links', 'security'],
  ['services'], // service kinds, one folder each
  ['plan', 'observe', 'waits'],
  ['steps'], // step kinds
  ['scenario'], // the file, checked against every kind
  ['engine'],
  ['experiment', 'ui', 'docs', 'trace'], // trace: one packet's path through a running lab
  ['commands'],
  ['cli'],
];

const rankOf = new Map(RANKS.flatMap((folders, rank) => folders.map((f) => [f, rank] as const)));

function files(dir: string, tests = false): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return files(p, tests);
    return /\.tsx?$/.test(e.name) && /\.test\.tsx?$/.test(e.name) === tests ? [p] : [];
  });
}

/** The layer of a module: its folder under src/, or "base" for the files at the top. */
function layer(file: string): string {
  const rel = relative(SRC, file);
  if (rel === 'cli.ts') return 'cli';
  if (rel.startsWith('..')) return 'outside';
  return rel.includes('/') ? rel.split('/')[0] : 'base';
}

interface Import {
  target: string;
  typeOnly: boolean;
  names: string;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(file, 'utf8');
  const out: Import[] = [];
  for (const m of text.matchAll(/^(import|export)(\s+type)?\s([^;]*?)from\s+'([^']+)'/gms)) out.push({ target: m[4], typeOnly: Boolean(m[2]), names: m[3] });
  for (const m of text.matchAll(/import\('([^']+)'\)/g)) out.push({ target: m[1], typeOnly: false, names: '' });
  return out;
}

const toFile = (from: string, target: string) => resolve(dirname(from), target.replace(/\.js$/, '.ts'));
const SOURCES = files(SRC);

/** Every relative import between src modules, as from/to layers. */
const EDGES = SOURCES.flatMap((file) =>
  importsOf(file)
    .filter((i) => i.target.startsWith('.'))
    .map((i) => ({ file, imp: i, from: layer(file), to: layer(toFile(file, i.target)) })),
);

t.test('every folder under src/ has a rank', async (t) => {
  const folders = new Set(SOURCES.map(layer));
  t.same([...folders].filter((f) => !rankOf.has(f)).sort(), [], 'place a new folder in RANKS');
  t.same(
    [...rankOf.keys()].filter((f) => !folders.has(f)),
    [],
    'a rank for a folder that is gone',
  );
});

t.test('imports go only downwards', async (t) => {
  const wrong = EDGES.filter((e) => e.from !== e.to && !(rankOf.get(e.to)! < rankOf.get(e.from)!)).map(
    (e) => `${relative(SRC, e.file)} (${e.from}, rank ${rankOf.get(e.from)}) imports ${e.imp.target} (${e.to}, rank ${rankOf.get(e.to)})`,
  );
  t.same(wrong, [], 'imports against the ranks');
});

/** Folders in a cycle of imports, found without the rank table. */
function cycles(edges: { from: string; to: string }[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) if (e.from !== e.to) next.set(e.from, (next.get(e.from) ?? new Set()).add(e.to));
  const found: string[] = [];
  const reach = (from: string, to: string, seen = new Set<string>()): boolean =>
    [...(next.get(from) ?? [])].some((n) => n === to || (!seen.has(n) && (seen.add(n), reach(n, to, seen))));
  for (const f of next.keys()) if (reach(f, f)) found.push(f);
  return found.sort();
}

t.test('no two folders reach each other through imports', async (t) => {
  t.same(cycles(EDGES), [], 'folders in a cycle');
});

t.test('the checks are not vacuous: a cycle and a wrong import would be caught', async (t) => {
  t.same(
    cycles([
      { from: 'a', to: 'b' },
      { from: 'b', to: 'c' },
      { from: 'c', to: 'a' },
      { from: 'd', to: 'a' },
    ]),
    ['a', 'b', 'c'],
  );
  t.ok(rankOf.get('kinds')! < rankOf.get('services')! && rankOf.get('services')! < rankOf.get('engine')!);
  t.ok(rankOf.get('engine')! < rankOf.get('ui')!, 'the engine cannot import the screen');
  t.equal(layer(join(SRC, 'cli.ts')), 'cli');
  t.equal(layer(join(SRC, 'services', 'haproxy', 'haproxy.ts')), 'services');
  t.ok(
    EDGES.some((e) => e.from === 'services' && e.to === 'kinds'),
    'the edges are read',
  );
});

/** The modules a registry file imports: each one a kind. */
function registered(registry: string): string[] {
  return importsOf(registry)
    .filter((i) => i.target.startsWith('.') && !i.typeOnly)
    .map((i) => toFile(registry, i.target))
    .filter((f) => f.startsWith(dirname(registry)));
}

t.test('a kind does not import another kind', async (t) => {
  const wrong: string[] = [];
  // Service kinds are folders (services/shared is theirs to share); step and wait kinds are files.
  const serviceFolder = (f: string) => relative(join(SRC, 'services'), f).split('/')[0];
  const serviceKinds = new Set(registered(join(SRC, 'services', 'all.ts')).map(serviceFolder));
  for (const f of SOURCES.filter((x) => layer(x) === 'services' && serviceKinds.has(serviceFolder(x)))) {
    for (const i of importsOf(f).filter((x) => x.target.startsWith('.'))) {
      const to = toFile(f, i.target);
      if (layer(to) === 'services' && serviceKinds.has(serviceFolder(to)) && serviceFolder(to) !== serviceFolder(f))
        wrong.push(`${relative(SRC, f)} imports ${i.target}`);
    }
  }
  for (const folder of ['steps', 'waits']) {
    const kinds = new Set(registered(join(SRC, folder, 'all.ts')));
    for (const f of kinds) {
      for (const i of importsOf(f).filter((x) => x.target.startsWith('.')))
        if (kinds.has(toFile(f, i.target))) wrong.push(`${relative(SRC, f)} imports ${i.target}`);
    }
  }
  t.ok(serviceKinds.has('haproxy') && serviceKinds.has('keepalived'), 'the registries are read');
  t.same(wrong, [], 'kind-to-kind imports');
});

/** How a module at `rel` (under src/) touches the host other than through the drivers. */
function hostTouches(rel: string, imports: Import[], resolveTo: (target: string) => string): string[] {
  const wrong: string[] = [];
  // What writes to the host besides the drivers: the journal (written before the driver acts, so
  // a crash leaves a record), the in-node agents (their own processes) and the docs generator.
  const mayWriteFiles =
    /^(drivers|agents)\//.test(rel) || /^services\/[^/]+\/agent\.ts$/.test(rel) || rel === 'engine/journal.ts' || rel === 'docs/generate.ts';
  const agentOfKind = /^services\/[^/]+\/agent\.ts$/.test(rel);
  const layerOf = (target: string) => layer(resolveTo(target));
  for (const imp of imports) {
    if (imp.target === 'execa' && rel !== 'drivers/process.ts') wrong.push(`${rel} imports execa (only drivers/process.ts may)`);
    if (/^node:(child_process|net|dgram|dns)$/.test(imp.target) && !/^(drivers|agents)\//.test(rel) && !agentOfKind)
      wrong.push(`${rel} imports ${imp.target} (only drivers/ may)`);
    if (
      /^node:fs(\/promises)?$/.test(imp.target) &&
      /\b(write|append|mkdir|rm|unlink|rename|open|chmod|chown|symlink|copy|truncate|cp)\w*/i.test(imp.names) &&
      !mayWriteFiles
    ) {
      wrong.push(`${rel} writes with node:fs (${imp.names.trim()}): go through the HostDriver`);
    }
    if (imp.target.startsWith('.') && layerOf(imp.target) === 'drivers' && !rel.startsWith('drivers/') && rel !== 'cli.ts')
      wrong.push(`${rel} imports ${imp.target} (the host driver is made once, by cli.ts)`);
    if (imp.target.startsWith('.') && layerOf(imp.target) === 'outside') wrong.push(`${rel} imports ${imp.target} (outside src/)`);
  }
  // Agents run as processes of their own, in the nodes: node's builtins only, types erased.
  // A kind's own agent is its folder's agent.ts. It may share src/agents/ (builtins only
  // themselves: Octavia's heartbeat codec, shared by the amphora agent and the health manager).
  for (const imp of imports.filter((i) => i.target.startsWith('.'))) {
    const to = layerOf(imp.target);
    if (agentOfKind && to !== 'agents') wrong.push(`${rel} imports ${imp.target} (an agent loads node's builtins only)`);
    if (rel.startsWith('agents/') && !(to === 'agents' || (to === 'base' && (imp.typeOnly || rel === 'agents/launch.ts'))))
      wrong.push(`${rel} imports ${imp.target} (an agent loads node's builtins only)`);
  }
  return wrong;
}

t.test('only drivers/ touch the host', async (t) => {
  const wrong = SOURCES.flatMap((file) => hostTouches(relative(SRC, file), importsOf(file), (target) => toFile(file, target)));
  t.same(wrong, []);
});

t.test('the host rule is not vacuous: each way round it is caught', async (t) => {
  const at = (rel: string) => (target: string) => toFile(join(SRC, rel), target);
  const imp = (target: string, names = ''): Import => ({ target, typeOnly: false, names });
  t.same(hostTouches('steps/x.ts', [imp('execa', '{ execa }')], at('steps/x.ts')), ['steps/x.ts imports execa (only drivers/process.ts may)']);
  t.same(hostTouches('plan/x.ts', [imp('node:child_process')], at('plan/x.ts')), ['plan/x.ts imports node:child_process (only drivers/ may)']);
  t.same(hostTouches('ui/x.ts', [imp('node:fs', '{ writeFileSync }')], at('ui/x.ts')), [
    'ui/x.ts writes with node:fs ({ writeFileSync }): go through the HostDriver',
  ]);
  t.same(hostTouches('ui/x.ts', [imp('node:fs', '{ readFileSync }')], at('ui/x.ts')), [], 'reading is fine');
  t.same(hostTouches('engine/x.ts', [imp('../drivers/real-host.js')], at('engine/x.ts')), [
    'engine/x.ts imports ../drivers/real-host.js (the host driver is made once, by cli.ts)',
  ]);
  t.same(hostTouches('plan/x.ts', [imp('../../test/helpers.js')], at('plan/x.ts')), ['plan/x.ts imports ../../test/helpers.js (outside src/)']);
  t.same(hostTouches('services/haproxy/agent.ts', [imp('../../model.js')], at('services/haproxy/agent.ts')), [
    "services/haproxy/agent.ts imports ../../model.js (an agent loads node's builtins only)",
  ]);
  t.same(hostTouches('agents/prober.ts', [imp('../stats.js')], at('agents/prober.ts')), [
    "agents/prober.ts imports ../stats.js (an agent loads node's builtins only)",
  ]);
  t.same(hostTouches('agents/prober.ts', [{ target: '../model.js', typeOnly: true, names: 'Lab' }], at('agents/prober.ts')), [], 'types are erased');
  t.same(hostTouches('drivers/process.ts', [imp('execa', '{ execa }'), imp('node:fs', '{ writeFileSync }')], at('drivers/process.ts')), []);
});

t.test('unit tests beside the code reach nothing outside src/ but the test helpers', async (t) => {
  const wrong = files(SRC, true).flatMap((f) =>
    importsOf(f)
      .filter((i) => i.target.startsWith('.') && layer(toFile(f, i.target)) === 'outside' && !relative(ROOT, toFile(f, i.target)).startsWith('test/'))
      .map((i) => `${relative(SRC, f)} imports ${i.target}`),
  );
  t.same(wrong, []);
});

/** `ip netns exec|attach`, `ip -n` or `nsenter --net=`, as words or as a shell line. */
const REACHES_A_MEMBER = /'netns',\s*'(exec|attach)'|ip netns (exec|attach)|'ip',\s*'-n'|'nsenter',\s*[`']--net=|nsenter --net=/;

t.test('only the member runtime spells how to reach a member, in src/ and the tests beside it', async (t) => {
  const spelled = [...SOURCES, ...files(SRC, true)].filter((f) => REACHES_A_MEMBER.test(readFileSync(f, 'utf8'))).map((f) => relative(SRC, f));
  // The namespace runtime and its own test (which must spell what it expects); containers are
  // reached through the engine (docker exec), and other tests build what they expect from the
  // runtime's own words.
  t.same(spelled, ['runtime/netns/netns.ts', 'runtime/netns/netns.test.ts']);
  t.ok(
    REACHES_A_MEMBER.test("['ip', 'netns', 'attach', member]") &&
      REACHES_A_MEMBER.test("['ip', '-n', member]") &&
      REACHES_A_MEMBER.test("['nsenter', `--net=${dir}`]") &&
      !REACHES_A_MEMBER.test("['tcpdump', '-i', 'eth0', '-n']") &&
      !REACHES_A_MEMBER.test("['iptables', '-n', '-v']"),
    'the pattern is not vacuous',
  );
});
