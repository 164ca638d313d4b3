// The command line as a user meets it, without root: help, errors, validate, --explain.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { FLAGSHIP, ROOT } from '../helpers.js';
import { hostState, isRoot, skipUnlessCI } from '../host-state.js';

const stateDir = join(mkdtempSync(join(tmpdir(), 'lablb-cli-')), 'state');

function lablb(args: string[], opts: { asNobody?: boolean } = {}) {
  const argv = [join(ROOT, 'bin', 'lablb.js'), ...args];
  const [cmd, cmdArgs] =
    opts.asNobody && isRoot ? ['setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, ...argv]] : [process.execPath, argv];
  // Without tap's loaders (NODE_OPTIONS): lablb runs from dist/ as a user runs it.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const r = spawnSync(cmd, cmdArgs as string[], { encoding: 'utf8', env: { ...env, LABLB_STATE_DIR: stateDir, NO_COLOR: '1' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

t.test('help', async (t) => {
  const r = lablb(['--help']);
  t.equal(r.code, 0);
  // Every verb in the usage, and each with its own help.
  const verbs = [
    'list',
    'validate',
    'up',
    'run',
    'status',
    'watch',
    'exec',
    'shell',
    'capture',
    'report',
    'trace',
    'graph',
    'impair',
    'down',
    'clean',
    'doctor',
  ];
  for (const verb of verbs) t.match(r.out, new RegExp(`\\n  ${verb} `));
  for (const verb of verbs) {
    const h = lablb([verb, '--help']);
    t.equal(h.code, 0, `${verb} --help`);
    t.match(h.out, new RegExp(`^Usage: (sudo )?lablb ${verb}`));
  }
  t.equal(lablb([]).code, 2, 'no command: usage on stderr, exit 2');
});

t.test('unknown command and option', async (t) => {
  const r = lablb(['frob']);
  t.equal(r.code, 2);
  t.equal(
    r.err,
    'lablb: unknown command "frob". Commands: list, validate, up, run, watch, status, exec, shell, capture, trace, report, graph, impair, down, neutron, manila, image, doctor, lab-api, clean\n',
  );
  const o = lablb(['list', '--frob']);
  t.equal(o.code, 2);
  t.match(o.err, /^lablb: Unknown option '--frob'/);
});

t.test('list and validate', async (t) => {
  t.match(lablb(['list']).out, /^floating-ip-lb\s+Load balancer behind a floating IP/m);
  const v = lablb(['validate', 'floating-ip-lb']);
  t.equal(v.code, 0);
  t.equal(v.out, `${FLAGSHIP}: ok (5 nodes, 2 networks, 5 experiment steps)\n`);
});

t.test('a bad scenario: every problem, one line each, exit 2, no stack trace', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'lablb-bad-')), 'bad.yaml');
  writeFileSync(file, readFileSync(FLAGSHIP, 'utf8').replace('vlan: 1 ', 'vlan: 0 ').replace('bridge_port: tapvm1', 'bridge_prot: tapvm1'));
  for (const verb of ['validate', 'up', 'run']) {
    const r = lablb([verb, file]);
    t.equal(r.code, 2, verb);
    t.equal(
      r.err,
      `${file}:25:11: networks[0].vlan: 0 is out of range; must be >= 1 (a VLAN tag from 1 to 4094)\n` +
        `${file}:35:65: nodes[0].ports[0].bridge_prot: unknown field "bridge_prot"; did you mean "bridge_port"?\n` +
        `lablb: 2 problems in ${file}; nothing was changed on the host\n`,
      verb,
    );
  }
  t.notOk(existsSync(stateDir), 'no state was written');
});

t.test('an unknown scenario name lists the known ones', async (t) => {
  const r = lablb(['validate', 'floating-ip']);
  t.equal(r.code, 2);
  t.equal(
    r.err,
    'lablb: unknown scenario "floating-ip"; did you mean floating-ip-lb?\n  known scenarios: dhcp-ha, dvr, floating-ip-lb, floating-ip-lb-docker, keepalived-vip, l3-ha, l3-ha-conntrackd, l3-ha-gateway, l3-ha-l2pop, lbaas-v1-v2, manila-share, network-node-dies, octavia, scale-l3-ha, scale-routers, vxlan-hosts; or give a path to a .yaml file\n',
  );
});

t.test('up --explain prints the commands and touches nothing', async (t) => {
  const before = hostState();
  const r = lablb(['up', 'floating-ip-lb', '--explain'], { asNobody: true });
  t.equal(r.code, 0, r.err);
  t.match(r.out, /^# lablb plan for lab floating-ip-lb/);
  t.match(r.out, /\nnetns add qrouter01\n/);
  t.match(r.out, /ovs-vsctl --db=unix:\S+\/db.sock --no-wait -- init -- --may-exist add-br br-int/);
  t.match(r.out, /iptables-restore --noflush <<'EOF'\n\*filter\n/);
  t.match(r.out, /-A neutron-l3-agent-PREROUTING -d 10.255.253.100\/32 -j DNAT --to-destination 10.0.0.100/);
  t.match(r.out, /haproxy -f \S+\/haproxy.conf -p /);
  t.notOk(existsSync(stateDir), 'no state dir');
  t.same(hostState(), before, 'host unchanged');
});

t.test('verbs that change the host need root', { skip: skipUnlessCI(t, isRoot && !existsSync('/usr/bin/setpriv') && 'no setpriv to drop root') }, async (t) => {
  for (const args of [
    ['up', 'floating-ip-lb'],
    ['run', 'floating-ip-lb'],
    ['down', 'x'],
    ['clean'],
    ['lab-api', 'x'],
    ['capture', 'vm1:eth0'],
    ['impair', 'vm1:eth0', '--loss', '5'],
    ['trace', '--from', 'ext', '--to', '10.255.253.100:80'],
  ]) {
    const r = lablb(args, { asNobody: true });
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, new RegExp(`^lablb: lablb ${args[0]} needs root .*\\n  run it with sudo: sudo lablb ${args[0]}`), args.join(' '));
  }
  t.notOk(existsSync(stateDir));
});

t.test('doctor lists every dependency and the datapath', async (t) => {
  const r = lablb(['doctor', '--json']);
  const report = JSON.parse(r.out);
  t.equal(report.type, 'doctor');
  t.match(report.datapath, /^(system|netdev)$/);
  const commands = report.dependencies.map((d: { command: string }) => d.command);
  for (const c of ['ip', 'ovs-vsctl', 'ovs-vswitchd', 'haproxy', 'iptables-restore', 'ethtool', 'keepalived']) t.ok(commands.includes(c), c);
  t.equal(r.code, report.ok ? 0 : 1, 'exit 1 exactly when something a lab needs is missing');
  const text = lablb(['doctor']);
  t.match(text.out, /^node \d+\.\d+\.\d+ /);
  t.match(text.out, /\n  ovs-vsctl +(found|MISSING) /);
});

t.test('lab-api serves only a lab that is up', { skip: skipUnlessCI(t, !isRoot && 'needs root') }, async (t) => {
  const r = lablb(['lab-api', 'no-such-lab']);
  t.equal(r.code, 2);
  t.equal(r.err, 'lablb: no lab named no-such-lab is up on this host\n  see: sudo lablb status\n');
  t.notOk(existsSync(stateDir), 'nothing made');
});

t.test('the live screen only on a terminal: piped output gets plain lines', async (t) => {
  const r = lablb(['watch', 'floating-ip-lb']);
  t.equal(r.code, 2);
  t.match(r.err, isRoot ? /^lablb: (no lab named floating-ip-lb on this host|no lab is up|watch draws a live screen and needs a terminal)/ : /needs root/);
});

t.test('--set: parameters listed, overridden, and a wrong name refused before anything runs', async (t) => {
  t.match(lablb(['list']).out, /--set health_monitor\.delay=1\s+seconds between haproxy's health checks \(the article: 5\)/);
  const ok = lablb(['up', 'floating-ip-lb', '--explain', '--set', 'health_monitor.delay=5']);
  t.equal(ok.code, 0, ok.err);
  t.match(ok.out, /check inter 5s fall 3 rise 2/);
  const bad = lablb(['validate', 'floating-ip-lb', '--set', 'health_monitor.dealy=5']);
  t.equal(bad.code, 2);
  t.match(
    bad.err,
    /^lablb: --set health_monitor\.dealy: .* has no parameter named "health_monitor\.dealy"; did you mean "health_monitor\.delay"\?\n  its parameters: /,
  );
});

t.test('shell needs root and a lab; a second name is refused with how to pass a command', async (t) => {
  const r = lablb(['shell', 'a', 'b'], { asNobody: true });
  t.equal(r.code, 2);
  t.match(r.err, /^lablb: (shell takes one lab name, got: a b|lablb shell needs root)/);
});
