// The container runtime against a fake engine: its plan tasks, its image, start and exec ops
// as the engine hands them over (journaled before the engine is asked), teardown by label
// only, lablb's image from busybox-static, and what a scenario may and may not say.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fakeHost } from '../../../test/fake-host.js';
import { labFromText, ROOT } from '../../../test/helpers.js';
import { Engine } from '../../engine/engine.js';
import { Journal } from '../../engine/journal.js';
import { runtimePreflight } from '../../engine/preflight.js';
import type { UserError } from '../../errors.js';
import { teardownLab } from '../../engine/teardown.js';
import type { LabNode } from '../../model.js';
import { buildPlan } from '../../plan/plan.js';
import { planToShell, type Op } from '../../kinds/ops.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';
import { tarball } from '../../tar.js';
import { runtimeOf } from '../all.js';
import { netns } from '../netns/netns.js';
import { containerOf, dockerRuntime, LABEL } from './docker.js';
import { buildLocalImage, LOCAL_IMAGE } from './image.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb-docker.yaml')), { stateRoot: '/run/lablb' });
const vm1 = lab.nodes.find((n) => n.name === 'vm1')!;
/** The op of the runtime's task with this id. */
const taskOp = (id: string, nodes: LabNode[] = [vm1]): Op => dockerRuntime.create(lab, nodes).find((x) => x.id === id)!.ops[0];
const startVm1 = () => taskOp('container:vm1');
const exec = (argv: string[], node: LabNode = vm1) => dockerRuntime.execOp!(node, argv);

t.test("a docker node resolves to a container named for the lab, from lablb's image by default", async (t) => {
  t.equal(runtimeOf(vm1), dockerRuntime);
  t.same(containerOf(vm1), {
    name: 'lablb-floating-ip-lb-docker-vm1',
    image: LOCAL_IMAGE,
    command: ['sh', '-c', 'httpd -p 80 -h /www && exec sleep 2147483647'],
    env: {},
    files: [{ path: '/www/index.html', content: 'server_81' }],
    token: 'floating-ip-lb-docker/vm1/container',
  });
  t.throws(
    () =>
      labFromText(`name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.0.0.0/24 }]
nodes:
  - { name: a, role: vm, image: nginx, ports: [{ name: eth0, network: n, address: 10.0.0.2, bridge_port: tapa }] }
`),
    /image is for runtime: docker \(a container/,
  );
  t.throws(
    () =>
      labFromText(`name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.0.0.0/24 }]
nodes:
  - { name: a, role: vm, runtime: docker, files: { /www/../../etc/passwd: x }, ports: [{ name: eth0, network: n, address: 10.0.0.2, bridge_port: tapa }] }
`),
    /a path without "\.\."/,
  );
});

t.test('the plan: the image, then the containers, then the veths into their namespaces', async (t) => {
  const plan = buildPlan(lab, { datapath: 'netdev' });
  const ids = plan.tasks.map((x) => x.id);
  t.ok(ids.indexOf('image') < ids.indexOf('container:vm1'));
  t.same(plan.tasks.find((x) => x.id === 'veths')!.after, ['namespaces', 'members:netns', 'container:vm1', 'container:vm2']);
  t.notMatch(
    plan.tasks.filter((x) => /namespaces|members/.test(x.id)).map((x) => x.ops[0]),
    [{ input: /netns add vm1/ }],
    "a container's namespace is its own, not made by ip netns add",
  );
  const shell = planToShell(plan);
  t.match(
    shell,
    /docker run -d --name lablb-floating-ip-lb-docker-vm1 --hostname vm1 --network none --label org\.lablb\.lab=floating-ip-lb-docker --label org\.lablb\.token=floating-ip-lb-docker\/vm1\/container lablb\/busybox:1 sh -c 'httpd -p 80 -h \/www && exec sleep 2147483647'/,
  );
  t.ok(
    shell.includes(`${netns.attach('vm1', '').join(' ').trim()} "$(docker inspect -f '{{.State.Pid}}' lablb-floating-ip-lb-docker-vm1)"`),
    'its namespace named after the node',
  );
  t.match(shell, /docker image inspect lablb\/busybox:1 >\/dev\/null 2>&1 \|\| lablb image build/);
  t.match(
    shell,
    /\[members:netns\] Namespaces: one per node \(3\)\nip -batch - <<'EOF'\nnetns add qlbaas-01\nnetns add qrouter01\nnetns add ext\nEOF/,
    'the other nodes are namespaces, made in one batch',
  );
});

t.test("a person's command in a container goes through the engine, with the container's limits", async (t) => {
  const host = fakeHost();
  host.containers.images.add(LOCAL_IMAGE);
  await t.rejects(dockerRuntime.enter(vm1, ['sh'], true, host), /the container of vm1 \(lablb-floating-ip-lb-docker-vm1\) is not running/);
  const c = await host.containers.start({
    name: 'x',
    image: LOCAL_IMAGE,
    env: {},
    labels: { [LABEL.token]: containerOf(vm1).token },
    hostname: 'vm1',
    files: [],
  });
  // Never nsenter as root on the host.
  t.same(await dockerRuntime.enter(vm1, ['sh'], true, host), ['docker', 'exec', '-i', '-t', c.id, 'sh']);
  t.same(await dockerRuntime.enter(vm1, ['ps'], false, host), ['docker', 'exec', '-i', c.id, 'ps']);
  const vm1Ns = lab.nodes.find((n) => n.name === 'ext')!;
  t.same(await runtimeOf(vm1Ns).enter(vm1Ns, ['ip', 'a'], false, host), netns.exec('ext', ['ip', 'a']), 'a namespace member: netns.exec');
  t.equal(runtimeOf(vm1Ns).execOp, undefined, 'a namespace has no world of its own to exec into');
  t.equal(dockerRuntime.label!(vm1), 'docker lablb/busybox:1');
});

function engineFor(host = fakeHost(), images = [LOCAL_IMAGE]) {
  for (const i of images) host.containers.images.add(i);
  const dir = join(mkdtempSync(join(tmpdir(), 'lablb-docker-')), 'lab');
  const journal = Journal.create(dir);
  return { host, dir, journal, engine: new Engine(host, journal, {}) };
}

t.test('the engine: builds the image when missing, journals a container before asking for it, names its namespace', async (t) => {
  const { host, journal, engine } = engineFor(fakeHost(), []);
  const nginx = { ...vm1, runtimeSpec: { ...containerOf(vm1), image: 'nginx:1.25' } };
  await t.rejects(engine.runOp(taskOp('container:vm1', [nginx])), /image nginx:1\.25 is not in the Docker engine/, 'never pulled');
  t.same(journal.entries(), [], 'nothing journaled for a container never made');
  host.files.set('/bin/busybox', 'ELF...');
  await engine.runOp(taskOp('image'));
  t.ok(host.containers.images.has(LOCAL_IMAGE));
  await engine.runOp(taskOp('image'));
  t.equal(host.log.filter((l) => l.startsWith('docker import')).length, 1, 'built once');

  await engine.runOp(startVm1());
  t.same(journal.entries().slice(0, 2), [
    { kind: 'member', runtime: 'docker', name: 'lablb-floating-ip-lb-docker-vm1', token: 'floating-ip-lb-docker/vm1/container' },
    { kind: 'netns', name: 'vm1' },
  ]);
  const [c] = [...host.containers.running.values()];
  t.match(c.labels, { [LABEL.lab]: 'floating-ip-lb-docker', [LABEL.token]: 'floating-ip-lb-docker/vm1/container' });
  t.ok(
    host.log.some((l) => l.includes(netns.attach('vm1', String(c.pid)).join(' '))),
    'its namespace named after the node',
  );

  await engine.runOp(exec(['killall', 'httpd']));
  t.ok(host.log.some((l) => l.endsWith('killall httpd')));
  await t.rejects(engine.runOp(exec(['true'], { ...vm1, runtimeSpec: { ...containerOf(vm1), token: 'other/vm9/container' } })), /the container is not running/);
  const failing = engineFor(fakeHost({ fail: { 'killall httpd': 'killall: httpd: no process killed' } }));
  await failing.engine.runOp(startVm1());
  await t.rejects(failing.engine.runOp(exec(['killall', 'httpd'])), /no process killed/);
  const ext = lab.nodes.find((n) => n.name === 'ext')!;
  await t.rejects(runtimeOf(ext).apply({}, { host, record: () => {} }), /the namespace runtime has no ops of its own/);
});

t.test("teardown removes the lab's containers by label, and never another's of the same name", async (t) => {
  const { host, dir, engine } = engineFor();
  await engine.runOp(startVm1());
  const theirs = await host.containers.start({ name: 'lablb-floating-ip-lb-docker-vm1', image: 'x', env: {}, labels: {}, hostname: 'x', files: [] });
  const r = await teardownLab(dir, host);
  t.equal(r.containers, 1);
  t.same([...host.containers.running.keys()], [theirs.id]);

  const broken = engineFor();
  await broken.engine.runOp(startVm1());
  broken.host.containers.list = async () => {
    throw new Error('docker: list containers (engine at unix:///fake/docker.sock): connect ENOENT');
  };
  const failed = await teardownLab(broken.dir, broken.host);
  t.match(failed.failures, [/container lablb-floating-ip-lb-docker-vm1: .*connect ENOENT/]);
  t.match(Journal.open(broken.dir).entries(), [{ kind: 'member', runtime: 'docker' }], 'kept for clean to retry');
});

t.test('a lab with containers needs an engine that answers; others do not ask', async (t) => {
  await t.rejects(runtimePreflight(fakeHost({ noDocker: true }), lab), /no Docker engine answers at unix:\/\/\/fake\/docker\.sock/);
  // The engine it suggests must not add docker0 or root-namespace iptables rules.
  const refusal = await runtimePreflight(fakeHost({ noDocker: true }), lab).catch((e: unknown) => e);
  t.match((refusal as UserError).hint, /sudo dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false/);
  await runtimePreflight(fakeHost(), lab);
  const flagship = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb.yaml')), { stateRoot: '/run/lablb' });
  await runtimePreflight(fakeHost({ noDocker: true }), flagship);
});

t.test("lablb's image: busybox and a link per applet", async (t) => {
  const host = fakeHost({ stdout: { '--list': 'sh\nhttpd\nbusybox\nip\n../evil\n' } });
  await t.rejects(buildLocalImage(host, LOCAL_IMAGE), /busybox-static is not installed/);
  host.files.set('/bin/busybox', 'ELF...');
  const bytes = await buildLocalImage(host, LOCAL_IMAGE);
  t.ok(bytes > 0 && bytes % 512 === 0, 'a whole tarball');
  t.match(
    host.log.find((l) => l.startsWith('docker import')),
    /docker import lablb\/busybox:1/,
  );
});

t.test('tarballs: ustar headers with checksums, padded to 512-byte blocks', async (t) => {
  const tar = tarball([
    { type: 'dir', path: '/www' },
    { type: 'file', path: 'www/index.html', content: 'server_81' },
    { type: 'symlink', path: 'bin/sh', target: 'busybox' },
  ]);
  t.equal(tar.length, 512 * 6, 'three headers, one data block, two end blocks');
  t.equal(tar.subarray(0, 4).toString(), 'www/');
  t.equal(tar.subarray(257, 262).toString(), 'ustar');
  const sum = [...tar.subarray(512, 1024)].reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
  t.equal(parseInt(tar.subarray(512 + 148, 512 + 154).toString(), 8), sum, 'the checksum counts its own field as spaces');
  t.equal(tar.subarray(1024, 1033).toString(), 'server_81');
  t.equal(tar.subarray(1536 + 157, 1536 + 164).toString(), 'busybox');
  t.throws(() => tarball([{ type: 'file', path: 'x'.repeat(101), content: '' }]), /longer than 100 bytes/);
});
