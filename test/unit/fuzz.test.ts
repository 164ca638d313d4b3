// Scenario files are untrusted input run as root. Random mutations of every shipped scenario
// (newlines, quotes, "..", NUL, very long values, unicode, terminal escapes, odd numbers) must
// either be refused with a clear file:line error, or produce configs that the daemons' own
// checkers accept (haproxy -c, keepalived -t, iptables-restore --test in a throwaway network
// namespace) and an `up --explain` script whose here-documents cannot be cut short. Never an
// internal error. Seeded, so a failure names the seed that reproduces it.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { parse, stringify } from 'yaml';
import { ScenarioError } from '../../src/errors.js';
import { allOps, heredoc, type Op } from '../../src/kinds/ops.js';
import { buildPlan } from '../../src/plan/plan.js';
import { parseScenario } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { ROOT } from '../helpers.js';
import { realHostSkip } from '../host-state.js';

const ITERATIONS = Number(process.env.LABLB_FUZZ_ITERATIONS ?? 600);
const SEED = Number(process.env.LABLB_FUZZ_SEED ?? 20261123);

/** mulberry32: a small seeded generator, so every run mutates the same way. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

const EVIL: unknown[] = [
  'x\nEOF\ntouch /tmp/lablb-fuzz-pwned',
  'VR_1 {\n    notify_master "/bin/sh -c id"\n}',
  'haproxy\n    lua-load /tmp/x.lua',
  '../../../../etc/cron.d/x',
  '..',
  'a/b',
  'a b',
  "it's",
  '"quoted"',
  'back\\slash',
  'nul\u0000byte',
  '\u001b]0;title\u0007\u001b[2J',
  'x'.repeat(5000),
  '\u202eevil\u202c',
  '🦀',
  'ünïcødé',
  '',
  ' ',
  '#comment',
  '${HOME}',
  '$(id)',
  '`id`',
  '%s%n',
  '-n',
  '--help',
  '0',
  '/',
  '10.0.0.1\n10.0.0.2',
  -1,
  0,
  0.5,
  1e-9,
  65536,
  1e300,
  true,
  null,
  [],
  {},
];

/** Odd but legal values, so many mutants get through to the daemons' checkers. */
const ODD: unknown[] = [
  'a',
  'A.b_c-d',
  'x'.repeat(63),
  '0',
  'VR_9',
  'node.with.dots',
  'f0e1d2c3-b4a5-4968-8776-655443322110',
  'srv:1',
  '/health',
  '/a-b_c.d?x=1&y=2',
  '/%20',
  'server_81 ',
  'ünï',
  '10.0.0.99',
  1,
  2,
  3,
  0.25,
  1.5,
  254,
  255,
  4094,
  65535,
  false,
];

type Json = unknown;

/** Every leaf of the document, as a path. */
function leaves(v: Json, path: (string | number)[] = []): (string | number)[][] {
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, [...path, i]));
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => leaves(x, [...path, k]));
  return [path];
}

function setAt(doc: Json, path: (string | number)[], value: unknown): void {
  let v = doc as Record<string | number, unknown>;
  for (const p of path.slice(0, -1)) v = v[p] as Record<string | number, unknown>;
  v[path.at(-1)!] = value;
}

const scenarios = [
  ...readdirSync(join(ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'scenarios', f)),
  join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml'),
];

interface Valid {
  name: string;
  ops: Op[];
}

const valid: Valid[] = [];
let refused = 0;

t.test('every mutation is refused with a located error, or yields a lab', async (t) => {
  const rnd = random(SEED);
  for (const file of scenarios) {
    const base = parse(readFileSync(file, 'utf8')) as Json;
    const paths = leaves(base);
    // The values that reach daemons' configs are in services and routers: aim there more often.
    const configPaths = paths.filter((p) => p.includes('services') || p.includes('l3') || p.includes('sysctls'));
    for (let i = 0; i < ITERATIONS; i++) {
      const doc = structuredClone(base);
      const changes = rnd() < 0.6 ? 1 : 2 + Math.floor(rnd() * 2);
      const what: string[] = [];
      for (let c = 0; c < changes; c++) {
        const from = rnd() < 0.7 && configPaths.length ? configPaths : paths;
        const path = from[Math.floor(rnd() * from.length)];
        const pool = rnd() < 0.5 ? EVIL : ODD;
        const value = pool[Math.floor(rnd() * pool.length)];
        setAt(doc, path, value);
        what.push(`${path.join('.')}=${JSON.stringify(value)?.slice(0, 40)}`);
      }
      const name = `${file.split('/').pop()} #${i} (seed ${SEED}): ${what.join(', ')}`;
      let text: string;
      try {
        text = stringify(doc);
      } catch {
        continue; // not representable as YAML; nothing to feed lablb
      }
      try {
        const lab = resolveLab(parseScenario(text, 'fuzz.yaml'), { stateRoot: '/run/lablb' });
        valid.push({ name, ops: allOps(buildPlan(lab, { datapath: 'netdev' })) });
      } catch (err) {
        if (!(err instanceof ScenarioError)) {
          t.fail(`internal error on ${name}: ${(err as Error).stack}`);
          continue;
        }
        refused++;
        for (const p of err.problems) {
          if (!(p.line > 0 && p.message.length > 0 && !/[\u0000-\u001f]/.test(p.message))) t.fail(`unclear problem for ${name}: ${JSON.stringify(p)}`);
        }
      }
    }
  }
  t.ok(refused > 0 && valid.length > 0, `${refused} mutants refused, ${valid.length} accepted`);
});

t.test('accepted mutants: no path outside the lab dir, no here-document cut short', async (t) => {
  let bad = 0;
  for (const { name, ops } of valid) {
    for (const op of ops) {
      const paths = op.kind === 'write' ? [op.path] : op.kind === 'mkdir' ? op.paths : op.kind === 'daemon' ? [op.ready, op.logfile] : [];
      for (const p of paths)
        if (!p.startsWith('/run/lablb/') || p.includes('/../')) {
          bad++;
          t.fail(`${name}: ${op.kind} outside the lab dir: ${p}`);
        }
      const body = op.kind === 'write' ? op.content : op.kind === 'run' ? op.input : undefined;
      if (body !== undefined && body.split('\n').includes(heredoc(body).marker)) {
        bad++;
        t.fail(`${name}: here-document marker inside its body`);
      }
      const argv = op.kind === 'run' || op.kind === 'daemon' ? op.argv : [];
      if (argv.some((a) => a.includes('\0'))) {
        bad++;
        t.fail(`${name}: NUL in an argument`);
      }
    }
  }
  t.equal(bad, 0, `${valid.length} accepted mutants checked`);
});

const skip = realHostSkip(t, 'haproxy', 'keepalived', 'iptables-restore', 'unshare');

/** keepalived -t also fails on interfaces the test's host lacks: those warnings are not ours. */
function keepalivedComplaints(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim() && !/interface \S+ (for .* )?doesn't exist|tracked interface \S+ doesn't exist|Non-existent interface specified/.test(l));
}

t.test('accepted mutants: haproxy -c, keepalived -t and iptables-restore --test accept every config', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-fuzz-'));
  // Each distinct config once: mutants of other fields share theirs.
  const configs = new Map<string, { name: string; kind: 'haproxy' | 'keepalived' | 'iptables' }>();
  for (const { name, ops } of valid) {
    for (const op of ops) {
      // Told apart by their first lines: other kinds' configs (conntrackd's) have no checker.
      if (op.kind === 'write' && /^(# .*\n)?global\n/.test(op.content)) configs.set(op.content, { name, kind: 'haproxy' });
      else if (op.kind === 'write' && op.content.startsWith('global_defs {')) configs.set(op.content, { name, kind: 'keepalived' });
      else if (op.kind === 'run' && op.argv.includes('iptables-restore') && op.input) configs.set(op.input, { name, kind: 'iptables' });
    }
  }
  let i = 0;
  const rejected: string[] = [];
  for (const [content, { name, kind }] of configs) {
    const file = join(dir, `${i++}.conf`);
    // haproxy looks its user and group up while parsing, and a mutated name is one this host
    // lacks: the check runs with those two lines (one checked word each) pointed at root, every
    // other line as rendered.
    writeFileSync(file, kind === 'haproxy' ? content.replace(/^( {4}user) \S+$/m, '$1 root').replace(/^( {4}group) \S+$/m, '$1 root') : content);
    const r =
      kind === 'haproxy'
        ? spawnSync('haproxy', ['-c', '-f', file], { encoding: 'utf8' })
        : kind === 'keepalived'
          ? spawnSync('unshare', ['-n', 'keepalived', '-t', '-l', '-f', file], { encoding: 'utf8' })
          : spawnSync('unshare', ['-n', 'iptables-restore', '--test'], { input: content, encoding: 'utf8' });
    const output = `${r.stdout}${r.stderr}`;
    const fine = r.status === 0 || (kind === 'keepalived' && keepalivedComplaints(output).length === 0);
    if (!fine) rejected.push(`${kind} rejected the config of ${name}:\n${output.trim().split('\n').slice(-4).join('\n')}`);
  }
  t.same(rejected, [], `${configs.size} distinct configs checked by the daemons themselves`);
  // The checkers do refuse what an injection would add: this test can fail.
  writeFileSync(join(dir, 'bad.conf'), 'global\n    lua-load-per-thread\n    bogus_directive 1\n');
  t.not(spawnSync('haproxy', ['-c', '-f', join(dir, 'bad.conf')]).status, 0, 'haproxy -c refuses an unknown directive');
  t.not(
    spawnSync('unshare', ['-n', 'iptables-restore', '--test'], { input: '*nat\n-A PREROUTING --bogus-option 1 -j ACCEPT\nCOMMIT\n' }).status,
    0,
    'iptables-restore --test refuses a bad rule',
  );
});
