// The Docker member runtime against a fake engine: the plan's container tasks, the engine's
// container, image and exec ops (journaled before the engine is asked), teardown by label
// only, lablb's image from busybox-static, and what a scenario may and may not say.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { fakeHost } from '../../test/fake-host.js';
import { labFromText, ROOT } from '../../test/helpers.js';
import { Engine } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { requireDockerEngine } from '../engine/preflight.js';
import type { UserError } from '../errors.js';
import { teardownLab } from '../engine/teardown.js';
import { LOCAL_IMAGE } from '../model.js';
import { buildPlan } from '../plan/plan.js';
import { planToShell } from '../kinds/ops.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveLab } from '../scenario/resolve.js';
import { tarball } from '../tar.js';
import { buildLocalImage, docker, LABEL } from './docker.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb-docker.yaml')), { stateRoot: '/run/lablb' });
const vm1 = lab.nodes.find((n) => n.name === 'vm1')!;

t.test('a docker node resolves to a container named for the lab, from lablb\'s image by default', async (t) => {
  t.equal(vm1.runtime, 'docker');
  t.same(vm1.container, {
    name: 'lablb-floating-ip-lb-docker-vm1',
    image: LOCAL_IMAGE,
    command: ['sh', '-c', 'httpd -p 80 -h /www && exec sleep 2147483647'],
    env: {},
    files: [{ path: '/www/index.html', content: 'server_81' }],
    token: 'floating-ip-lb-docker/vm1/container',
  });
  t.throws(() => labFromText(`name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.0.0.0/24 }]
nodes:
  - { name: a, role: vm, image: nginx, ports: [{ name: eth0, network: n, address: 10.0.0.2, bridge_port: tapa }] }
`), /image is for containers: add runtime: docker/);
  t.throws(() => labFromText(`name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.0.0.0/24 }]
nodes:
  - { name: a, role: vm, runtime: docker, files: { /www/../../etc/passwd: x }, ports: [{ name: eth0, network: n, address: 10.0.0.2, bridge_port: tapa }] }
`), /a path without "\.\."/);
});

t.test('the plan: the image, then the containers, then the veths into their namespaces', async (t) => {
  const plan = buildPlan(lab, { datapath: 'netdev' });
  const ids = plan.tasks.map((x) => x.id);
  t.ok(ids.indexOf('image') < ids.indexOf('container:vm1'));
  t.same(plan.tasks.find((x) => x.id === 'veths')!.after, ['namespaces', 'container:vm1', 'container:vm2']);
  t.notMatch(plan.tasks.find((x) => x.id === 'namespaces')!.ops[0], { input: /netns add vm1/ }, 'a container\'s namespace is its own, not made by ip netns add');
  const shell = planToShell(plan);
  t.match(shell, /docker run -d --name lablb-floating-ip-lb-docker-vm1 --hostname vm1 --network none --label org\.lablb\.lab=floating-ip-lb-docker --label org\.lablb\.token=floating-ip-lb-docker\/vm1\/container lablb\/busybox:1 sh -c 'httpd -p 80 -h \/www && exec sleep 2147483647'/);
  t.match(shell, /ip netns attach vm1 "\$\(docker inspect -f '\{\{\.State\.Pid\}\}' lablb-floating-ip-lb-docker-vm1\)"/);
  t.match(shell, /docker image inspect lablb\/busybox:1 >\/dev\/null 2>&1 \|\| lablb image build/);
  // Through the engine, with the container's own limits: never nsenter as root on the host.
  t.same(docker.enter('c0ffee', ['sh'], true), ['docker', 'exec', '-i', '-t', 'c0ffee', 'sh']);
  t.same(docker.enter('c0ffee', ['ps'], false), ['docker', 'exec', '-i', 'c0ffee', 'ps']);
});

function engineFor(host = fakeHost(), images = [LOCAL_IMAGE]) {
  for (const i of images) host.containers.images.add(i);
  const dir = join(mkdtempSync(join(tmpdir(), 'lablb-docker-')), 'lab');
  const journal = Journal.create(dir);
  return { host, dir, journal, engine: new Engine(host, journal, {}) };
}

t.test('the engine: builds the image when missing, journals a container before asking for it, names its namespace', async (t) => {
  const { host, journal, engine } = engineFor(fakeHost(), []);
  await t.rejects(engine.runOp({ ...docker.start(lab, vm1), spec: { ...(docker.start(lab, vm1) as { spec: object }).spec, image: 'nginx:1.25' } } as Parameters<typeof engine.runOp>[0]), /image nginx:1\.25 is not in the Docker engine/, 'never pulled');
  t.same(journal.entries(), [], 'nothing journaled for a container never made');
  host.files.set('/bin/busybox', 'ELF...');
  await engine.runOp({ kind: 'image', ref: LOCAL_IMAGE });
  t.ok(host.containers.images.has(LOCAL_IMAGE));
  await engine.runOp({ kind: 'image', ref: LOCAL_IMAGE });
  t.equal(host.log.filter((l) => l.startsWith('docker import')).length, 1, 'built once');

  await engine.runOp(docker.start(lab, vm1));
  t.same(journal.entries().slice(0, 2), [{ kind: 'container', name: 'lablb-floating-ip-lb-docker-vm1', token: 'floating-ip-lb-docker/vm1/container' }, { kind: 'netns', name: 'vm1' }]);
  const [c] = [...host.containers.running.values()];
  t.match(c.labels, { [LABEL.lab]: 'floating-ip-lb-docker', [LABEL.token]: 'floating-ip-lb-docker/vm1/container' });
  t.ok(host.log.some((l) => l.includes(`ip netns attach vm1 ${c.pid}`)), 'its namespace named after the node');

  await engine.runOp({ kind: 'container-exec', token: vm1.container!.token, name: vm1.container!.name, argv: ['killall', 'httpd'] });
  t.ok(host.log.some((l) => l.endsWith('killall httpd')));
  await t.rejects(engine.runOp({ kind: 'container-exec', token: 'other/vm9/container', name: 'x', argv: ['true'] }), /the container is not running/);
  const failing = engineFor(fakeHost({ fail: { 'killall httpd': 'killall: httpd: no process killed' } }));
  await failing.engine.runOp(docker.start(lab, vm1));
  await t.rejects(failing.engine.runOp({ kind: 'container-exec', token: vm1.container!.token, name: vm1.container!.name, argv: ['killall', 'httpd'] }), /no process killed/);
});

t.test('teardown removes the lab\'s containers by label, and never another\'s of the same name', async (t) => {
  const { host, dir, engine } = engineFor();
  await engine.runOp(docker.start(lab, vm1));
  const theirs = await host.containers.start({ name: 'lablb-floating-ip-lb-docker-vm1', image: 'x', env: {}, labels: {}, hostname: 'x', files: [] });
  const r = await teardownLab(dir, host);
  t.equal(r.containers, 1);
  t.same([...host.containers.running.keys()], [theirs.id]);

  const broken = engineFor();
  await broken.engine.runOp(docker.start(lab, vm1));
  broken.host.containers.list = async () => {
    throw new Error('docker: list containers (engine at unix:///fake/docker.sock): connect ENOENT');
  };
  const failed = await teardownLab(broken.dir, broken.host);
  t.match(failed.failures, [/container lablb-floating-ip-lb-docker-vm1: .*connect ENOENT/]);
  t.match(Journal.open(broken.dir).entries(), [{ kind: 'container' }], 'kept for clean to retry');
});

t.test('a lab with containers needs an engine that answers; others do not ask', async (t) => {
  await t.rejects(requireDockerEngine(fakeHost({ noDocker: true }), lab), /no Docker engine answers at unix:\/\/\/fake\/docker\.sock/);
  // The engine it suggests must not add docker0 or root-namespace iptables rules.
  const refusal = await requireDockerEngine(fakeHost({ noDocker: true }), lab).catch((e: unknown) => e);
  t.match((refusal as UserError).hint, /sudo dockerd --bridge=none --iptables=false --ip6tables=false --ip-forward=false/);
  await requireDockerEngine(fakeHost(), lab);
  const flagship = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb.yaml')), { stateRoot: '/run/lablb' });
  await requireDockerEngine(fakeHost({ noDocker: true }), flagship);
});

t.test('lablb\'s image: busybox and a link per applet', async (t) => {
  const host = fakeHost({ stdout: { '--list': 'sh\nhttpd\nbusybox\nip\n../evil\n' } });
  await t.rejects(buildLocalImage(host, LOCAL_IMAGE), /busybox-static is not installed/);
  host.files.set('/bin/busybox', 'ELF...');
  const bytes = await buildLocalImage(host, LOCAL_IMAGE);
  t.ok(bytes > 0 && bytes % 512 === 0, 'a whole tarball');
  t.match(host.log.find((l) => l.startsWith('docker import')), /docker import lablb\/busybox:1/);
});

t.test('tarballs: ustar headers with checksums, padded to 512-byte blocks', async (t) => {
  const tar = tarball([{ type: 'dir', path: '/www' }, { type: 'file', path: 'www/index.html', content: 'server_81' }, { type: 'symlink', path: 'bin/sh', target: 'busybox' }]);
  t.equal(tar.length, 512 * 6, 'three headers, one data block, two end blocks');
  t.equal(tar.subarray(0, 4).toString(), 'www/');
  t.equal(tar.subarray(257, 262).toString(), 'ustar');
  const sum = [...tar.subarray(512, 1024)].reduce((a, b, i) => a + (i >= 148 && i < 156 ? 32 : b), 0);
  t.equal(parseInt(tar.subarray(512 + 148, 512 + 154).toString(), 8), sum, 'the checksum counts its own field as spaces');
  t.equal(tar.subarray(1024, 1033).toString(), 'server_81');
  t.equal(tar.subarray(1536 + 157, 1536 + 164).toString(), 'busybox');
  t.throws(() => tarball([{ type: 'file', path: 'x'.repeat(101), content: '' }]), /longer than 100 bytes/);
});
