// The workshop guide (docs/workshop.md) cannot drift from the CLI: every command in its code
// blocks is read as lablb would read it. lablb's verbs must exist, scenarios must load with
// their --set values, nodes named by exec, ip netns exec and paths must be the lab's, and the
// `neutron` commands typed in `lablb shell` must parse against the lab. Unknown commands fail.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { loadLab } from '../../src/commands/common.js';
import type { Lab, LabNode } from '../../src/model.js';
import type { OctaviaSpec } from '../../src/services/octavia/octavia.js';
import { parseNeutron } from '../../src/security/neutron-cli.js';
import { ROOT } from '../helpers.js';
import { blocks, guide, words } from '../workshop-guide.js';
import { skipUnlessCI } from '../host-state.js';

const verbs = new Set<string>();

function checkLablb(argv: string[], state: { lab?: Lab; shell?: boolean }, problems: string[], line: string): void {
  const [verb, ...rest] = argv;
  verbs.add(verb);
  const sets = rest.flatMap((a, i) => (a === '--set' ? [rest[i + 1]] : []));
  const dashdash = rest.indexOf('--');
  const own = dashdash >= 0 ? rest.slice(0, dashdash) : rest;
  const valued = ['--set', '--lab', '--name', '--host'];
  const positional = own.filter((a, i) => !a.startsWith('-') && !valued.includes(own[i - 1]));
  const host = own[own.indexOf('--host') + 1];
  if (own.includes('--host') && !state.lab?.hosts?.list.some((h) => h.name === host)) problems.push(`${line}: no host ${host} in ${state.lab?.name}`);
  state.shell = false;
  switch (verb) {
    case 'up':
    case 'run':
    case 'validate':
      try {
        const lab = loadLab(positional[0], undefined, sets);
        if (verb === 'up') state.lab = lab;
      } catch (e) {
        problems.push(`${line}: ${(e as Error).message}`);
      }
      return;
    case 'watch':
    case 'down':
    case 'shell':
      if (positional[0] !== state.lab?.name) problems.push(`${line}: lab ${positional[0]} is not the one brought up (${state.lab?.name})`);
      if (verb === 'shell') state.shell = dashdash < 0;
      return;
    case 'exec': {
      // With --host the node may be left out: the host's switch.
      const node = positional[0] ?? (own.includes('--host') ? 'ovs' : undefined);
      if (node !== 'ovs' && !state.lab?.nodes.some((n) => n.name === node)) problems.push(`${line}: no node ${node} in ${state.lab?.name}`);
      return;
    }
    case 'neutron':
      try {
        parseNeutron(rest, withControllersPorts(state.lab!));
      } catch (e) {
        problems.push(`${line}: ${(e as Error).message}`);
      }
      return;
    default:
  }
}

/** The lab with the management ports Octavia's controller makes at run time, by the ids the
 *  scenario gives its amphorae: the guide names one as the article does. */
function withControllersPorts(lab: Lab): Lab {
  const ids = lab.nodes
    .flatMap((n) => n.services)
    .filter((s) => s.kind === 'octavia')
    .flatMap((s) => (s.spec as OctaviaSpec).config.amphorae.map((a) => ({ id: a.id, port: a.mgmtPortId })));
  const made: LabNode[] = ids.map(({ id, port }) => ({
    ...lab.nodes[0],
    name: `amphora-${id.slice(0, 8)}`,
    ports: [{ ...lab.nodes[0].ports[0], node: `amphora-${id.slice(0, 8)}`, name: 'eth0', id: port }],
    services: [],
  }));
  return { ...lab, nodes: [...lab.nodes, ...made] };
}

function checkInShell(argv: string[], lab: Lab | undefined, problems: string[], line: string): void {
  const nodes = new Set(lab?.nodes.map((n) => n.name));
  const [cmd, ...rest] = argv;
  if (cmd === 'neutron') {
    try {
      parseNeutron(rest, lab!);
    } catch (e) {
      problems.push(`${line}: ${(e as Error).message}`);
    }
  } else if (cmd === 'ip' && rest[0] === 'netns' && rest[1] === 'exec') {
    if (!nodes.has(rest[2])) problems.push(`${line}: no node ${rest[2]} in ${lab?.name}`);
    checkInShell(rest.slice(3), lab, problems, line);
  } else if (cmd === 'cat') {
    for (const path of rest) {
      const m = /^\/run\/lablb\/([^/]+)\/nodes\/([^/]+)\//.exec(path);
      if (!m || m[1] !== lab?.name || !nodes.has(m[2])) problems.push(`${line}: ${path} is not a node's file in ${lab?.name}`);
    }
  } else if (!['ovs-vsctl', 'ovs-ofctl', 'ip', 'curl', 'iptables'].includes(cmd)) {
    problems.push(`${line}: ${cmd} is not a command the guide's checker knows`);
  }
}

t.test('every command in the workshop guide works with this lablb', async (t) => {
  const problems: string[] = [];
  const state: { lab?: Lab; shell?: boolean } = {};
  let checked = 0;
  for (const block of blocks) {
    for (const line of block) {
      checked++;
      let argv = words(line);
      while (/^[A-Z_]+=/.test(argv[0])) argv = argv.slice(1);
      if (argv[0] === 'cd') continue;
      if (argv[0] === 'vagrant') {
        if (!['up', 'ssh', 'status', 'halt', 'destroy'].includes(argv[1])) problems.push(`${line}: vagrant ${argv[1]}?`);
        if (argv[1] === 'ssh' && !/^lablb-\d+$/.test(argv[2] ?? '')) problems.push(`${line}: the Vagrantfile names machines lablb-N`);
        continue;
      }
      const at = argv.indexOf('lablb');
      if (argv[0] === 'sudo' && at > 0) checkLablb(argv.slice(at + 1), state, problems, line);
      else if (state.shell) checkInShell(argv, state.lab, problems, line);
      else problems.push(`${line}: not a lablb command, and not inside lablb shell`);
    }
  }
  t.same(problems, [], `${checked} commands checked`);
  t.ok(checked > 40, 'the guide has its exercises');

  // Each verb the guide uses answers --help (so it exists).
  for (const verb of verbs) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'lablb.js'), verb, '--help'], { encoding: 'utf8' });
    t.equal(r.status, 0, `lablb ${verb} --help`);
  }
  // Every shipped scenario has its exercise.
  const shipped = readdirSync(join(ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => f.slice(0, -5));
  t.ok(shipped.length >= 10, `${shipped.length} scenarios shipped`);
  for (const f of shipped) t.match(guide, new RegExp(`lablb (up|run) ${f}\\b`), f);
  // The Vagrantfile makes the machines the guide names, and builds the image at provision time.
  const vagrantfile = readFileSync(join(ROOT, 'vagrant', 'Vagrantfile'), 'utf8');
  t.match(vagrantfile, /ENV\.fetch\("ATTENDEES"/);
  t.match(vagrantfile, /lablb-#\{i\}/);
  t.match(vagrantfile, /lablb image build/);
});

const hasVagrant = spawnSync('sh', ['-c', 'command -v vagrant'], { encoding: 'utf8' }).status === 0;

t.test(
  'vagrant validate accepts the Vagrantfile, for one attendee and for a room',
  { skip: skipUnlessCI(t, !hasVagrant && 'needs vagrant and vagrant-libvirt (CI installs them)') },
  async (t) => {
    for (const attendees of ['1', '12']) {
      const r = spawnSync('vagrant', ['validate'], {
        cwd: join(ROOT, 'vagrant'),
        encoding: 'utf8',
        env: { ...process.env, ATTENDEES: attendees },
        timeout: 120_000,
      });
      t.equal(r.status, 0, `ATTENDEES=${attendees}: ${r.stdout}${r.stderr}`);
    }
    // One VM per Neutron host: the default five, and two.
    for (const hosts of [undefined, 'network1,compute1']) {
      const r = spawnSync('vagrant', ['validate'], {
        cwd: join(ROOT, 'vagrant', 'hosts'),
        encoding: 'utf8',
        env: { ...process.env, ...(hosts ? { HOSTS: hosts } : {}) },
        timeout: 120_000,
      });
      t.equal(r.status, 0, `HOSTS=${hosts ?? '(default)'}: ${r.stdout}${r.stderr}`);
      t.notMatch(r.stdout, /static IP ending in "\.1"/, "no VM takes the provider's own address");
    }
  },
);

t.test("the hosts' Vagrantfile: a VM per host of the DVR scenario, each at its place on the underlay", async (t) => {
  const vagrantfile = readFileSync(join(ROOT, 'vagrant', 'hosts', 'Vagrantfile'), 'utf8');
  const hosts = /ENV\.fetch\("HOSTS", "([^"]+)"\)/.exec(vagrantfile)?.[1].split(',');
  const dvr = readFileSync(join(ROOT, 'scenarios', 'dvr.yaml'), 'utf8');
  t.same(
    hosts,
    [...dvr.matchAll(/^ {2}- \{ name: (\w+), role: (?:network|compute|controller)/gm)].map((m) => m[1]),
    "the default hosts are dvr's, in its order",
  );
  t.match(vagrantfile, /private_network", ip: "#\{UNDERLAY\}\.#\{i \+ 11\}"/);
  t.match(vagrantfile, /scripts\/setup-host\.sh/, 'the one set-up script');
});

t.test('the checker itself refuses what it should', async (t) => {
  t.same(words(`sudo npx lablb exec ext -- curl -s 'http://a b/' "x y"`), ['sudo', 'npx', 'lablb', 'exec', 'ext', '--', 'curl', '-s', 'http://a b/', 'x y']);
  const problems: string[] = [];
  const state: { lab?: Lab; shell?: boolean } = {};
  checkLablb(['up', 'no-such-scenario'], state, problems, 'a');
  checkLablb(['up', 'keepalived-vip'], state, problems, 'b');
  checkLablb(['exec', 'vm9', '--', 'true'], state, problems, 'c');
  checkLablb(['run', 'floating-ip-lb', '--set', 'nope=1'], state, problems, 'd');
  checkInShell(['neutron', 'port-update', 'keepalived01', '--port_security_enabled=maybe'], state.lab, problems, 'e');
  checkInShell(['cat', '/etc/shadow'], state.lab, problems, 'f');
  checkInShell(['rm', '-rf', '/'], state.lab, problems, 'g');
  t.same(
    problems.map((p) => p[0]),
    ['a', 'c', 'd', 'e', 'f', 'g'],
  );
});
