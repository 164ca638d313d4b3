// The ways scenario text and command-line arguments could reach root on the host, tried as an
// attacker would, through the real command line: lab names that are paths, files that shadow
// shipped scenarios, options a verb does not take, --explain that must not build, escapes
// meant for the terminal, and every attack fixture run for real with nothing written.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import t from 'tap';
import { FLAGSHIP, ROOT } from '../helpers.js';
import { hostState, isRoot, skipUnlessCI } from '../host-state.js';

const top = mkdtempSync(join(tmpdir(), 'lablb-security-'));
const stateDir = join(top, 'state');

function lablb(args: string[], opts: { cwd?: string } = {}) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  // Run from another directory, lablb still reports its coverage where c8 collects it.
  if (env.NODE_V8_COVERAGE) env.NODE_V8_COVERAGE = resolve(env.NODE_V8_COVERAGE);
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lablb.js'), ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? top,
    env: { ...env, LABLB_STATE_DIR: stateDir, NO_COLOR: '1', CI: '1' },
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** A directory an attacker would like removed: beside the state dir, reached with "..". */
function victim(): string {
  const dir = join(top, 'victim');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'lab.json'), '{}');
  writeFileSync(join(dir, 'journal.jsonl'), '');
  return dir;
}

t.test('every verb that takes a lab name takes only a lab name', { skip: skipUnlessCI(t, !isRoot && 'the verbs check root before the name') }, async (t) => {
  const dir = victim();
  mkdirSync(stateDir, { recursive: true });
  const attempts = [
    ['down', '../victim'],
    ['down', join(top, 'victim')],
    ['down', '..'],
    ['status', '../victim'],
    ['watch', '../victim'],
    ['shell', '../victim'],
    ['exec', 'vm1', '--lab', '../victim', '--', 'id'],
    ['neutron', '--lab', '../victim', 'port-list'],
    ['up', 'floating-ip-lb', '--name', '../victim'],
    ['run', 'floating-ip-lb', '--name', 'UPPER'],
  ];
  for (const args of attempts) {
    const r = lablb(args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, /is not a lab name( \(--name\))?: lowercase letters, digits and "-"/, args.join(' '));
    t.ok(existsSync(join(dir, 'lab.json')), `${args.join(' ')}: nothing outside the state dir touched`);
  }
  t.same(readdirSync(stateDir), [], 'nothing created in the state dir');
});

t.test('a bare name is the shipped scenario; a file in the working directory never shadows it', async (t) => {
  const cwd = mkdtempSync(join(tmpdir(), 'lablb-cwd-'));
  const evil = readFileSync(FLAGSHIP, 'utf8').replace(/^title: .*$/m, 'title: not the shipped one');
  writeFileSync(join(cwd, 'floating-ip-lb'), evil);
  writeFileSync(join(cwd, 'floating-ip-lb.yaml'), evil);
  writeFileSync(join(cwd, 'mine'), evil);
  const shipped = lablb(['validate', 'floating-ip-lb'], { cwd });
  t.equal(shipped.code, 0, shipped.err);
  t.equal(shipped.out, `${FLAGSHIP}: ok (5 nodes, 2 networks, 5 experiment steps)\n`);
  const explained = lablb(['up', 'floating-ip-lb', '--explain'], { cwd });
  t.notMatch(explained.out, /not the shipped one/);
  // A file is named by a path.
  t.equal(lablb(['validate', './floating-ip-lb.yaml'], { cwd }).out, `${join(cwd, 'floating-ip-lb.yaml')}: ok (5 nodes, 2 networks, 5 experiment steps)\n`);
  t.equal(lablb(['validate', 'floating-ip-lb.yaml'], { cwd }).code, 0);
  const bare = lablb(['validate', 'mine'], { cwd });
  t.equal(bare.code, 2);
  t.match(bare.err, /^lablb: unknown scenario "mine"; for the file "mine" here, write \.\/mine\n/);
  t.equal(lablb(['validate', './mine'], { cwd }).code, 0);
});

t.test('an option a verb does not take is an error, never ignored', async (t) => {
  for (const [args, option] of [
    [['status', '--explain'], 'explain'],
    [['down', 'x', '--set', 'a=1'], 'set'],
    [['list', '--name', 'x'], 'name'],
    [['validate', 'floating-ip-lb', '--explain'], 'explain'],
    [['exec', 'vm1', '--fix', '--', 'id'], 'fix'],
    [['clean', '--lab', 'x'], 'lab'],
    [['watch', '--watch'], 'watch'],
  ] as const) {
    const r = lablb([...args]);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, new RegExp(`^lablb: ${args[0]} does not take --${option}\\n  Usage: `), args.join(' '));
  }
  const r = lablb(['status', '--probe']);
  t.equal(r.code, 2);
  t.equal(r.err, 'lablb: status takes --probe only with --watch\n');
});

t.test('run --explain prints the build and every step, and changes nothing', async (t) => {
  const before = hostState();
  const r = lablb(['run', 'floating-ip-lb', '--explain']);
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^# lablb plan for lab floating-ip-lb/);
  t.match(r.out, /\n# The experiment: what `lablb run` does once lab floating-ip-lb is up\.\n/);
  t.match(
    r.out,
    /LABLB_TOKEN=floating-ip-lb\/ext\/prober-http ip netns exec ext \S+ \S+prober\.js --url http:\/\/10\.255\.253\.100\/ --interval-ms 50 --timeout-ms 1000 --max-seconds 600 &\n/,
  );
  t.match(
    r.out,
    /\n# step 2\/5: kill-vm2-web \(stop-service\)\n# stop vm2\/web: .*\n# then waits, at most 40000 ms, until: haproxy saw vm2 on qlbaas-01\/lb DOWN\n# fails if "haproxy saw vm2 on qlbaas-01\/lb DOWN" takes over 8000 ms \+ 10% \+ 500 ms \(haproxy: fall 3 x inter 1 s \+ timeout check 5 s\)\n# then judges probe http's next 10 replies: only server_81; none may fail\n/,
  );
  t.match(r.out, /\n# step 4\/5: lb-egress-snat \(http-get\)\nip netns exec qlbaas-01 curl -s -m 3 -- http:\/\/10\.255\.253\.1:8080\/\n/);
  t.match(r.out, /\nip netns exec qrouter01 iptables-save -c -t nat\n/);
  t.notOk(existsSync(join(stateDir, 'floating-ip-lb')), 'no lab dir');
  t.same(hostState(), before, 'host unchanged');
  // Every shipped scenario explains, each step with a line of its own.
  for (const name of readdirSync(join(ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.replace('.yaml', ''))) {
    const e = lablb(['run', name, '--explain']);
    t.equal(e.code, 0, `${name}: ${e.err}`);
    const steps = [...e.out.matchAll(/^# step (\d+)\/(\d+): /gm)];
    t.ok(steps.length > 0 && steps.length === Number(steps[0][2]), `${name}: every step explained`);
  }
});

t.test('text from a scenario, a --set value or a file name reaches the terminal with its escapes visible', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lablb-esc-'));
  const file = join(dir, 'bad\u001b]0;pwned\u0007\u009b2J.yaml');
  writeFileSync(file, readFileSync(FLAGSHIP, 'utf8').replace('vlan: 1 ', 'vlan: 0 '));
  const raw = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
  const a = lablb(['validate', file]);
  t.equal(a.code, 2);
  t.notMatch(a.err, raw, 'a file name');
  t.match(a.err, /bad\\x1b\]0;pwned\\x07\\x9b2J\.yaml:25:11: networks\[0\]\.vlan/);
  const b = lablb(['validate', 'floating-ip-lb', '--set', 'probe.interval_ms=\u001b[2J\u009b31m']);
  t.equal(b.code, 2);
  t.notMatch(b.err, raw, 'a --set value');
  t.match(b.err, /\\u001b\[2J\\u009b31m/);
  const c = lablb(['validate', 'x\u001b[2J\u202e']);
  t.notMatch(c.err, raw, 'an unknown scenario name');
  t.match(c.err, /x\\u001b\[2J\\u202e/);
});

t.test('every attack fixture, run for real: refused with file:line:col, nothing written on the host', async (t) => {
  const broken = join(ROOT, 'test', 'fixtures', 'broken');
  const attacks = readdirSync(broken)
    .filter((f) => f.startsWith('attack-'))
    .sort();
  t.ok(attacks.length >= 20, `${attacks.length} attacks`);
  const before = hostState();
  for (const name of attacks) {
    const r = lablb(['run', join(broken, name)]);
    t.equal(r.code, 2, name);
    t.match(r.err, new RegExp(`${name.replace(/\./g, '\\.')}:\\d+:\\d+: `), `${name}: located`);
    t.match(r.err, /nothing was changed on the host\n$/, name);
  }
  for (const path of ['/etc/pwned', '/etc/cron.d/x', '/etc/lablb-commands']) t.notOk(existsSync(path), `${path} not written`);
  t.notOk(existsSync(stateDir) && readdirSync(stateDir).length > 0, 'no lab dir');
  t.same(hostState(), before, 'host unchanged');
});
