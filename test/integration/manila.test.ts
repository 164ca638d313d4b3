// seed 000's Manila for real (scenarios/manila-share.yaml): the share server joins the
// tenant's network at run time with nfs-ganesha, and both VMs read and write the same files
// through it with a userspace NFS client; then the same by hand on a lab that is up, as the
// article types it. The host is left as found, ganesha's state included.
import { existsSync, readFileSync } from 'node:fs';
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'ganesha.nfsd', 'nfs-cp', 'nfs-cat');

t.test('run manila-share: vm1 and vm2 share files through the share server', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'manila-share', '--json');
  t.equal(r.code, 0, r.err);
  const summary = JSON.parse(r.out.trim().split('\n').at(-1)!) as { checks: { name: string; ok: boolean; detail: string }[] };
  t.same(
    summary.checks.map((c) => c.name),
    ['create-share', 'vm1-writes', 'vm2-reads', 'vm2-writes', 'vm1-reads'],
  );
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.match(summary.checks[2].detail, /vm2 read "written by vm1" from nfs:\/\/10\.0\.0\.50\/share_nfs\/hello\.txt/);
  t.notOk(existsSync('/var/lib/nfs/ganesha/v4recov'), "ganesha's recovery state stayed in the lab's dir");
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('manila create on a lab that is up, as the article types it', { skip }, async (t) => {
  const before = hostState();
  try {
    const up = lablb('up', 'manila-share');
    t.equal(up.code, 0, up.err);
    const created = lablb('manila', 'create', 'NFS', '1', '--name', 'share_nfs', '--share-network', 'private');
    t.equal(created.code, 0, created.err);
    t.match(created.out, /^Created share share_nfs \(NFS, 1 GB\): export location 10\.0\.0\.254:\/share_nfs, served by share-share_nfs\n$/);
    t.match(lablb('manila', 'list').out, /share_nfs +10\.0\.0\.254:\/share_nfs/);
    const url = 'nfs://10.0.0.254/share_nfs/hostname?version=4';
    let put = lablb('exec', 'vm1', '--', 'nfs-cp', '/etc/hostname', url);
    for (let i = 0; put.code !== 0 && i < 40; i++) {
      await new Promise((res) => setTimeout(res, 250)); // ganesha opens its port a moment after its pid file
      put = lablb('exec', 'vm1', '--', 'nfs-cp', '/etc/hostname', url);
    }
    t.equal(put.code, 0, put.err);
    const got = lablb('exec', 'vm2', '--', 'nfs-cat', url);
    t.equal(got.out, readFileSync('/etc/hostname', 'utf8'), 'vm2 reads what vm1 wrote');
  } finally {
    t.equal(lablb('down', 'manila-share').code, 0);
  }
  t.same(await settledHostState(before), before, 'host as found: the share server made at run time is gone too');
});
