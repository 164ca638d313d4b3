// Scenario files are untrusted input run as root. Random mutations of every shipped scenario
// (newlines, quotes, "..", NUL, very long values, unicode, terminal escapes, odd numbers; and
// of its shape: keys dropped, added or moved, lists emptied or grown, a block where a value
// was) must either be refused with a clear file:line error, or produce configs that the
// daemons' own checkers accept (haproxy -c, keepalived -t, iptables-restore --test, dnsmasq
// --test, conntrackd's parser, ovs-ofctl parse-flows, in a throwaway network namespace) and an
// `up --explain` script whose here-documents cannot be cut short. Never an internal error.
// Seeded, so a failure names the seed that reproduces it.
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

/** Every value of the document, blocks and lists included, as a path (the root excluded). */
function allPaths(v: Json, path: (string | number)[] = []): (string | number)[][] {
  const here = path.length ? [path] : [];
  if (Array.isArray(v)) return [...here, ...v.flatMap((x, i) => allPaths(x, [...path, i]))];
  if (v && typeof v === 'object') return [...here, ...Object.entries(v).flatMap(([k, x]) => allPaths(x, [...path, k]))];
  return here;
}

function getAt(doc: Json, path: (string | number)[]): unknown {
  return path.reduce<unknown>((v, p) => (v && typeof v === 'object' ? (v as Record<string | number, unknown>)[p] : undefined), doc);
}

/** A change of the document's shape at `path`; returns what it did. */
function reshape(doc: Json, path: (string | number)[], rnd: () => number, paths: (string | number)[][]): string {
  const parent = getAt(doc, path.slice(0, -1)) as Record<string | number, unknown> | unknown[];
  const key = path.at(-1)!;
  const here = getAt(doc, path);
  switch (Math.floor(rnd() * 6)) {
    case 0: // drop it (a required field missing, a list one shorter)
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return 'dropped';
    case 1: // a second copy (a duplicate node, port, rule, instance)
      if (Array.isArray(parent)) parent.splice(Number(key), 0, structuredClone(here));
      else (parent as Record<string, unknown>)[`${key}_copy`] = structuredClone(here);
      return 'copied';
    case 2: // another part of the file grafted here
      setAt(doc, path, structuredClone(getAt(doc, paths[Math.floor(rnd() * paths.length)])));
      return 'grafted';
    case 3: // the same value one level down, or up
      setAt(doc, path, Array.isArray(here) ? (here[0] ?? {}) : [here]);
      return Array.isArray(here) ? 'unwrapped' : 'wrapped in a list';
    case 4: // an empty block or list where it was
      setAt(doc, path, Array.isArray(here) ? [] : {});
      return 'emptied';
    default: // a key no schema knows
      if (here && typeof here === 'object' && !Array.isArray(here)) (here as Record<string, unknown>).notify_master = '/bin/sh -c id';
      else setAt(doc, path, { value: here, exec: 'id' });
      return 'given an unknown key';
  }
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
        if (rnd() < 0.25) {
          const shapes = allPaths(doc);
          const path = shapes[Math.floor(rnd() * shapes.length)];
          what.push(`${path.join('.')} ${reshape(doc, path, rnd, shapes)}`);
          continue;
        }
        const from = rnd() < 0.7 && configPaths.length ? configPaths : paths;
        const path = from[Math.floor(rnd() * from.length)];
        const pool = rnd() < 0.5 ? EVIL : ODD;
        const value = pool[Math.floor(rnd() * pool.length)];
        // A path an earlier change of shape removed is not there to set.
        const parent = getAt(doc, path.slice(0, -1));
        if (!parent || typeof parent !== 'object') continue;
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

const skip = realHostSkip(t, 'haproxy', 'keepalived', 'iptables-restore', 'unshare', 'dnsmasq', 'conntrackd', 'ovs-ofctl');

/** keepalived -t also fails on interfaces the test's host lacks: those warnings are not ours. */
function keepalivedComplaints(output: string): string[] {
  return output
    .split('\n')
    .filter((l) => l.trim() && !/interface \S+ (for .* )?doesn't exist|tracked interface \S+ doesn't exist|Non-existent interface specified/.test(l));
}

/** conntrackd has no test mode: asking a daemon that is not there for its statistics parses the
 *  config first, and fails to connect after. Only errors before the connection are ours. */
function conntrackdComplaints(output: string): string[] {
  return output.split('\n').filter((l) => /\[ERROR\]/.test(l) && !/can't connect/.test(l));
}

/** dnsmasq's command line and its hosts and opts files as one config file, for `dnsmasq
 *  --test`: each --option=value a line, each hosts-file line a dhcp-host, each opts-file line a
 *  dhcp-option. */
export function dnsmasqConfig(argv: string[], files: Map<string, string>): string {
  const opts = argv.slice(argv.indexOf('dnsmasq') + 1).filter((a) => a.startsWith('--') && !a.startsWith('--conf-file='));
  const fileOf = (option: string) => files.get(opts.find((o) => o.startsWith(`--${option}=`))?.slice(option.length + 3) ?? '') ?? '';
  const linesOf = (text: string, as: string) =>
    text
      .split('\n')
      .filter(Boolean)
      .map((l) => `${as}=${l}`);
  return [
    ...opts.filter((o) => !/^--dhcp-(hosts|opts)file=/.test(o)).map((o) => o.slice(2)),
    ...linesOf(fileOf('dhcp-hostsfile'), 'dhcp-host'),
    ...linesOf(fileOf('dhcp-optsfile'), 'dhcp-option'),
    '',
  ].join('\n');
}

/** ovs-ofctl resolves port names on a switch; without one, every port is port 1 (the names
 *  are checked where they are read, as interface names). */
// A field in a learn action's spec (output:OXM_OF_IN_PORT[]) is no port name.
const flowsWithoutNames = (text: string) => text.replace(/\b(in_port=|output:)(?![\w.-]*\[)[A-Za-z][\w.-]*/g, '$11');

type Checked = 'haproxy' | 'keepalived' | 'iptables' | 'dnsmasq' | 'conntrackd' | 'openflow';

/** Runs a config's own checker; fine when the daemon would take it. */
function check(kind: Checked, content: string, file: string): { fine: boolean; output: string } {
  // haproxy looks its user and group up while parsing, and a mutated name is one this host
  // lacks: the check runs with those two lines (one checked word each) pointed at root, every
  // other line as rendered.
  writeFileSync(
    file,
    kind === 'haproxy'
      ? content.replace(/^( {4}user) \S+$/m, '$1 root').replace(/^( {4}group) \S+$/m, '$1 root')
      : kind === 'openflow'
        ? flowsWithoutNames(content)
        : content,
  );
  const run = (argv: string[], input?: string) => spawnSync(argv[0], argv.slice(1), { input, encoding: 'utf8' });
  const r = {
    haproxy: () => run(['haproxy', '-c', '-f', file]),
    keepalived: () => run(['unshare', '-n', 'keepalived', '-t', '-l', '-f', file]),
    iptables: () => run(['unshare', '-n', 'iptables-restore', '--test'], content),
    dnsmasq: () => run(['dnsmasq', '--test', `--conf-file=${file}`]),
    conntrackd: () => run(['unshare', '-n', 'conntrackd', '-C', file, '-s']),
    openflow: () => run(['ovs-ofctl', '-O', 'OpenFlow14', 'parse-flows', file]),
  }[kind]();
  const output = `${r.stdout}${r.stderr}`;
  const fine =
    kind === 'keepalived'
      ? r.status === 0 || keepalivedComplaints(output).length === 0
      : kind === 'conntrackd'
        ? conntrackdComplaints(output).length === 0
        : r.status === 0;
  return { fine, output };
}

t.test("accepted mutants: every config passes its daemon's own checker", { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-fuzz-'));
  // Each distinct config once: mutants of other fields share theirs.
  const configs = new Map<string, { name: string; kind: Checked }>();
  for (const { name, ops } of valid) {
    const files = new Map(ops.flatMap((op) => (op.kind === 'write' ? [[op.path, op.content] as const] : [])));
    for (const op of ops) {
      // Told apart by their first lines or their files.
      if (op.kind === 'write' && /^(# .*\n)?global\n/.test(op.content)) configs.set(op.content, { name, kind: 'haproxy' });
      else if (op.kind === 'write' && op.content.startsWith('global_defs {')) configs.set(op.content, { name, kind: 'keepalived' });
      else if (op.kind === 'write' && op.content.startsWith('General {')) configs.set(op.content, { name, kind: 'conntrackd' });
      else if (op.kind === 'write' && op.path.endsWith('.flows')) configs.set(op.content, { name, kind: 'openflow' });
      else if (op.kind === 'run' && op.argv.includes('iptables-restore') && op.input) configs.set(op.input, { name, kind: 'iptables' });
      else if (op.kind === 'daemon' && op.argv.includes('dnsmasq')) configs.set(dnsmasqConfig(op.argv, files), { name, kind: 'dnsmasq' });
    }
  }
  const kinds = new Map<Checked, number>();
  for (const { kind } of configs.values()) kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  t.same([...kinds.keys()].sort(), ['conntrackd', 'dnsmasq', 'haproxy', 'iptables', 'keepalived', 'openflow'], 'every format met');
  let i = 0;
  const rejected: string[] = [];
  for (const [content, { name, kind }] of configs) {
    const { fine, output } = check(kind, content, join(dir, `${i++}.conf`));
    if (!fine) rejected.push(`${kind} rejected the config of ${name}:\n${output.trim().split('\n').slice(-4).join('\n')}`);
  }
  t.same(rejected, [], `${configs.size} distinct configs checked by the daemons themselves (${[...kinds].map(([k, n]) => `${n} ${k}`).join(', ')})`);
});

t.test('each checker refuses what an injection would add: the test above can fail', { skip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-fuzz-'));
  const refuses = (kind: Checked, content: string, what: string) => t.notOk(check(kind, content, join(dir, `${kind}.conf`)).fine, what);
  const accepts = (kind: Checked, content: string, what: string) => t.ok(check(kind, content, join(dir, `${kind}.conf`)).fine, what);
  refuses('haproxy', 'global\n    lua-load-per-thread\n    bogus_directive 1\n', 'haproxy -c: an unknown directive');
  refuses('iptables', '*nat\n-A PREROUTING --bogus-option 1 -j ACCEPT\nCOMMIT\n', 'iptables-restore --test: a bad rule');
  accepts('keepalived', 'global_defs {\n    router_id r\n}\n', 'keepalived -t: a plain config');
  refuses('keepalived', 'global_defs {\n    router_id r\n}\nnotify_master_bogus "/bin/sh"\n', 'keepalived -t: an unknown keyword');
  accepts('dnsmasq', 'port=0\ndhcp-range=10.0.0.0,static,86400s\ndhcp-host=fa:16:3e:00:00:11,vm1,10.0.0.11\n', 'dnsmasq --test: a plain config');
  refuses('dnsmasq', 'port=0\ndhcp-host=fa:16:3e:00:00:11,vm1,10.0.0.11\ndhcp-script=/bin/sh -c id\nbogus=1\n', 'dnsmasq --test: an unknown option');
  const conntrackd =
    'General {\n    LockFile /nonexistent/x.lock\n    UNIX {\n        Path /nonexistent/x.ctl\n    }\n}\nSync {\n    Mode FTFW {\n    }\n    Multicast {\n        IPv4_address 225.0.0.50\n        IPv4_interface 169.254.192.1\n        Interface ha-x\n        Group 3780\n    }\n}\n';
  accepts('conntrackd', conntrackd, "conntrackd's parser: a plain config");
  refuses('conntrackd', conntrackd.replace('General {\n', 'General {\n    Bogus 1\n'), "conntrackd's parser: an unknown keyword");
  accepts('openflow', 'table=0,priority=10,in_port=tap1,actions=NORMAL\n', 'ovs-ofctl parse-flows: a plain flow');
  refuses('openflow', 'table=0,priority=10,in_port=tap1,actions=NORMAL\ntable=0,bogus=1,actions=drop\n', 'ovs-ofctl parse-flows: an unknown field');
  t.equal(
    dnsmasqConfig(
      ['ip', 'netns', 'exec', 'q', 'dnsmasq', '--conf-file=/dev/null', '--port=0', '--dhcp-hostsfile=/h', '--dhcp-optsfile=/o'],
      new Map([
        ['/h', 'a,b,10.0.0.1\n'],
        ['/o', 'option:router,10.0.0.1\n'],
      ]),
    ),
    'port=0\ndhcp-host=a,b,10.0.0.1\ndhcp-option=option:router,10.0.0.1\n',
  );
});
