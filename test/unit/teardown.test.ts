// Teardown against the fake host: undo what an experiment left, stop processes, delete
// namespaces; whatever fails is reported and stays in the journal for `clean`.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Journal } from '../../src/engine/journal.js';
import { buildLab, removeLab, withCleanup } from '../../src/engine/lifecycle.js';
import { teardownLab } from '../../src/engine/teardown.js';
import { CombinedError, TeardownError } from '../../src/errors.js';
import { fakeHost, type FakeHost } from '../fake-host.js';
import { loadFixtureLab } from '../helpers.js';

function labDir(): { dir: string; journal: Journal } {
  const dir = join(mkdtempSync(join(tmpdir(), 'lablb-teardown-')), 'demo');
  return { dir, journal: Journal.create(dir) };
}

function withNamespaces(host: FakeHost, ...names: string[]): FakeHost {
  for (const n of names) host.netns.add(n);
  return host;
}

t.test('undoes unsettled changes newest first, then stops processes, then deletes namespaces', async (t) => {
  const { dir, journal } = labDir();
  journal.record({ kind: 'netns', name: 'lb1' });
  journal.record({ kind: 'process', name: 'lb1/vrrp', token: 'demo/lb1/vrrp' });
  journal.record({ kind: 'undo', id: 'link:lb1/eth0', what: 'lb1/eth0 up again', argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'up'], member: 'lb1' });
  journal.record({ kind: 'undo', id: 'link:lb1/eth1', what: 'lb1/eth1 up again', argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth1', 'up'], member: 'lb1' });
  journal.record({ kind: 'settled', id: 'link:lb1/eth0' });
  const host = withNamespaces(fakeHost(), 'lb1');
  host.tokens.set('demo/lb1/vrrp', [41]);
  const r = await teardownLab(dir, host);
  t.same(r.undone, ['lb1/eth1 up again'], 'only the change nobody reverted');
  t.same(host.log, ['run ip -n lb1 link set eth1 up', 'stop demo/', 'run ip -force -batch - <<1 lines', `rm -rf ${dir}`]);
  t.same(r.failures, []);
  t.equal(r.processes, 1);
});

t.test('an undo whose member is gone has nothing left to revert', async (t) => {
  const { dir, journal } = labDir();
  journal.record({ kind: 'undo', id: 'link:lb1/eth0', what: 'lb1/eth0 up again', argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'up'], member: 'lb1' });
  const host = fakeHost();
  const r = await teardownLab(dir, host);
  t.same(r.undone, []);
  t.notOk(host.log.some((l) => l.includes('link set')));
});

t.test('a namespace that will not go is reported and stays journaled, with the state dir', async (t) => {
  const { dir, journal } = labDir();
  journal.record({ kind: 'netns', name: 'lb1' });
  journal.record({ kind: 'netns', name: 'lb2' });
  const host = withNamespaces(fakeHost({ fail: { 'netns del lb2': 'Cannot remove namespace file "/run/netns/lb2": Device or resource busy' } }), 'lb1', 'lb2');
  const r = await teardownLab(dir, host);
  t.same(r.namespaces, ['lb1']);
  t.same(r.failures, ['namespace lb2: ip netns del lb2 failed (exit 1): Cannot remove namespace file "/run/netns/lb2": Device or resource busy']);
  t.notOk(
    host.log.some((l) => l.startsWith('rm -rf')),
    'the state dir stays for clean',
  );
  t.same(Journal.open(dir).entries(), [{ kind: 'netns', name: 'lb2' }], 'exactly what is left');
  t.ok(existsSync(dir));

  // `clean` later: the namespace let go meanwhile.
  const later = withNamespaces(fakeHost(), 'lb2');
  const again = await teardownLab(dir, later);
  t.same(again.namespaces, ['lb2']);
  t.same(again.failures, []);
});

t.test('a process that survives SIGKILL is a failure, not a silent leftover', async (t) => {
  const { dir, journal } = labDir();
  journal.record({ kind: 'process', name: 'a/web', token: 'demo/a/web' });
  const host = fakeHost({ unkillable: true });
  host.tokens.set('demo/a/web', [77]);
  const r = await teardownLab(dir, host);
  t.match(r.failures[0], /processes 77 .* still run after SIGKILL/);
});

t.test('removeLab throws a TeardownError naming what is left; events tell each failure', async (t) => {
  const { dir, journal } = labDir();
  journal.record({ kind: 'netns', name: 'lb1' });
  const host = withNamespaces(fakeHost({ fail: { 'netns del': 'busy' } }), 'lb1');
  const events: { type: string }[] = [];
  await t.rejects(
    removeLab(dir, 'demo', host, (e) => events.push(e)),
    TeardownError,
  );
  t.same(
    events.map((e) => e.type),
    ['lab', 'problem'],
  );
});

t.test('a teardown failure is told beside the failure that caused the teardown', async (t) => {
  const boom = new Error('the experiment broke');
  const err = await withCleanup(
    async () => {
      throw boom;
    },
    async () => {
      throw new TeardownError('demo', ['namespace lb1: busy']);
    },
  ).catch((e: unknown) => e);
  t.type(err, CombinedError);
  t.equal((err as CombinedError).errors[0], boom, 'the original first');
  t.match((err as CombinedError).message, /the experiment broke\nlab demo was not fully removed/);
  t.equal(
    await withCleanup(
      async () => 5,
      async () => {},
    ),
    5,
  );
});

t.test('a build that fails is torn down; if that fails too, both are reported', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'lablb-build-'));
  const lab = loadFixtureLab(root);
  const host = fakeHost({ fail: { 'ovs-vsctl': 'database connection failed', 'netns del': 'busy' } });
  // Every daemon is ready at once; the lab's own dir does not exist before it is built.
  host.exists = (path) => (path.startsWith('/run/netns/') ? host.netns.has(path.slice(11)) : path !== lab.dir);
  const err = await buildLab(lab, host, () => {}).catch((e: unknown) => e);
  t.type(err, CombinedError);
  const [first, second] = (err as CombinedError).errors;
  t.match(String(first), /ovs-vsctl.*\n?database connection failed/s);
  t.type(second, TeardownError);
  t.ok(existsSync(lab.dir), 'what is left stays journaled');
});

t.test('kernel modules loaded while the lab lived are unloaded, one at a time, once unused; one in use stays and is told', async (t) => {
  const { dir, journal } = labDir();
  journal.writeRecord({ lab: loadFixtureLab(), state: 'up', datapath: 'netdev', pid: 1, createdAt: 'now', modules: ['nf_defrag_ipv4', 'ext4'] });
  const host = fakeHost();
  // veth and nf_conntrack came with the lab; nf_nat holds nf_conntrack until it goes; an
  // unrelated program uses xt_recent by the time the lab ends.
  const loaded = new Map([
    ['ext4', 3],
    ['nf_defrag_ipv4', 1],
    ['nf_conntrack', 1],
    ['nf_nat', 0],
    ['veth', 0],
    ['xt_recent', 1],
  ]);
  host.kernelModules = () => new Map(loaded);
  const run = host.run;
  host.run = async (argv, opts) => {
    if (argv[0] === 'rmmod') {
      loaded.delete(argv[1]);
      if (argv[1] === 'nf_nat') loaded.set('nf_conntrack', 0);
    }
    return run(argv, opts);
  };
  const r = await teardownLab(dir, host);
  t.same(r.modules, ['nf_nat', 'veth', 'nf_conntrack'], 'each new one, as its users go');
  t.same(r.modulesInUse, ['xt_recent']);
  t.same(
    host.log.filter((l) => l.includes('rmmod')),
    ['run rmmod nf_nat', 'run rmmod veth', 'run rmmod nf_conntrack'],
    'never modprobe -r (it would take nf_defrag_ipv4, loaded before)',
  );
  t.same(r.failures, [], "a module in use is not the lab's failure");
  t.ok(loaded.has('nf_defrag_ipv4') && loaded.has('ext4'), 'modules loaded before the lab stay');
});
