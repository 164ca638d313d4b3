// Members as Docker containers for real (scenarios/floating-ip-lb-docker.yaml): busybox httpd in
// lablb's local image behind haproxy and the floating IP, the five checks of the flagship, a
// shell in the container, and kill -9 during `up` followed by `clean`. The engine is the host's
// when one answers, else the tests' own (test/docker-engine.ts), stopped after; either way the
// host is left as found, Docker's own state included.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { docker, testEngine } from '../docker-engine.js';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const LAB = 'floating-ip-lb-docker';
const skip = realHostSkip(t, 'haproxy', 'curl', 'dockerd', 'docker', 'busybox');
const engine = skip ? undefined : await testEngine();
if (engine) {
  process.env.DOCKER_HOST = engine.host;
  t.teardown(() => engine.stop());
}

/** Docker's own state: containers, networks, and images other than lablb's. */
function dockerState(host: string): string {
  const images = docker(host, 'images', '--format', '{{.Repository}}:{{.Tag}}')
    .split('\n')
    .filter((i) => i && i !== 'lablb/busybox:1');
  return JSON.stringify({
    containers: docker(host, 'ps', '-a', '--format', '{{.Names}}').trim(),
    networks: docker(host, 'network', 'ls', '--format', '{{.Name}}').trim().split('\n').sort(),
    volumes: docker(host, 'volume', 'ls', '-q').trim(),
    images,
  });
}

t.test('run floating-ip-lb-docker: the five checks on containers; host and Docker as found', { skip }, async (t) => {
  const before = hostState();
  const dockerBefore = dockerState(engine!.host);
  const r = lablb('run', LAB, '--json');
  t.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out.trim().split('\n').at(-1)!);
  t.equal(summary.checks.length, 5);
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.match(summary.checks[0].detail, /alternating server_81\/server_82/, 'busybox httpd in each container answers');
  t.match(summary.checks[1].detail, /haproxy saw vm2 on qlbaas-01\/lb DOWN/, "httpd killed inside vm2's container");
  t.match(docker(engine!.host, 'images', '--format', '{{.Repository}}:{{.Tag}}'), /lablb\/busybox:1/, 'the local image was built (or was there)');
  t.same(await settledHostState(before), before, 'host as found');
  t.equal(dockerState(engine!.host), dockerBefore, "no containers, networks or images left but lablb's image");
});

t.test('a shell in the container: its own files, processes and limits; the topology says docker', { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', LAB).code, 0);
  t.teardown(() => void lablb('down', LAB));
  const inside = lablb('exec', 'vm1', '--', 'sh', '-c', 'cat /www/index.html; echo; hostname; ps');
  t.equal(inside.code, 0, inside.err);
  t.match(inside.out, /^server_81\nvm1\n/);
  t.match(inside.out, /httpd -p 80 -h \/www/, 'busybox httpd runs in it');
  t.notMatch(inside.out, /ovs-vswitchd|haproxy/, 'and nothing of the host');
  // Through the engine: the container's own capability set, not the host root's full one.
  const caps = (out: string) => /CapEff:\s*([0-9a-f]+)/.exec(out)?.[1];
  const host = caps(readFileSync('/proc/self/status', 'utf8'));
  const mine = caps(lablb('exec', 'vm1', '--', 'cat', '/proc/self/status').out);
  t.ok(mine && host && mine !== host, `the container's capabilities (${mine}), not the host's (${host})`);
  t.equal(
    lablb('exec', 'ext', '--', 'curl', '-s', 'http://10.255.253.100/').out.trim().replace('server_82', 'server_81'),
    'server_81',
    'reached through the floating IP',
  );
  t.match(lablb('status', LAB).out, /containers: lablb-floating-ip-lb-docker-vm1 lablb-floating-ip-lb-docker-vm2/);
  t.equal(lablb('down', LAB).code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test("kill -9 during up, then clean: no container, veth or namespace left; another's container of the same name untouched", { skip }, async (t) => {
  const before = hostState();
  const dockerBefore = dockerState(engine!.host);
  const journal = join('/run/lablb', LAB, 'journal.jsonl');
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'lablb.js'), 'up', LAB], { stdio: 'ignore', env: process.env });
  // Listened for from the start: an up that ends before the kill must not hang the test.
  const exited = new Promise((r) => child.once('exit', r));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline && !(existsSync(journal) && readFileSync(journal, 'utf8').includes('"runtime":"docker"')))
    await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 150));
  child.kill('SIGKILL');
  await exited;
  t.match(lablb('status', LAB).out, /left over/);
  const clean = lablb('clean');
  t.equal(clean.code, 0, clean.err);
  t.same(await settledHostState(before), before, 'host as found');
  t.equal(dockerState(engine!.host), dockerBefore, 'no container of the lab left');

  // A container someone else made, with the lab's container name: up refuses, down leaves it.
  docker(engine!.host, 'create', '--name', 'lablb-floating-ip-lb-docker-vm1', '--network', 'none', 'lablb/busybox:1', 'sleep', '1');
  t.teardown(() => void docker(engine!.host, 'rm', '-f', 'lablb-floating-ip-lb-docker-vm1'));
  const refused = lablb('up', LAB);
  t.not(refused.code, 0, "the name is taken by a container that is not lablb's");
  t.match(refused.err, /lablb-floating-ip-lb-docker-vm1/);
  t.match(docker(engine!.host, 'ps', '-a', '--format', '{{.Names}}'), /lablb-floating-ip-lb-docker-vm1/, 'and it is still there after the teardown');
  t.same(await settledHostState(before), before, 'host as found');
});
