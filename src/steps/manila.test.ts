// Manila in the lab, the pure parts: the share server's node block and ganesha's config (its
// state kept in the lab's dir), the command line as seed 000 types it, the address Neutron
// would give, and the NFS steps' commands.
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../../test/helpers.js';
import { parseManila } from '../commands/manila.js';
import type { LabService } from '../model.js';
import { freeAddress } from '../net/addr.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveLab } from '../scenario/resolve.js';
import { renderGaneshaConfig, type NfsGaneshaSpec } from '../services/nfs-ganesha/nfs-ganesha.js';
import { stepKindOf } from './all.js';
import { exportLocation } from './manila.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'manila-share.yaml')), { stateRoot: '/run/lablb' });

t.test('manila-create: a share server node on the share network, nfs-ganesha exporting the share', async (t) => {
  const step = lab.experiment!.steps.find((s) => s.name === 'create-share')!;
  const node = (step.spec as { action: { name: string; role: string; ports: { address: string; bridgePort: string }[]; services: LabService[] } }).action;
  t.equal(node.name, 'share-share_nfs');
  t.equal(node.role, 'share-server');
  t.equal(node.ports[0].address, '10.0.0.50');
  t.match(node.ports[0].bridgePort, /^tapshr[0-9a-f]{8}$/, 'a bridge port name within 15 characters');
  t.equal(exportLocation(node as never), '10.0.0.50:/share_nfs');
  const spec = node.services[0].spec as NfsGaneshaSpec;
  t.equal(spec.exportDir, '/run/lablb/manila-share/nodes/share-share_nfs/nfs/export');
  const config = renderGaneshaConfig(spec);
  t.match(config, /Protocols = 4;/, 'NFSv4 only: no rpcbind, no lock manager');
  t.match(config, /Pseudo = \/share_nfs;/);
  for (const line of config.split('\n').filter((l) => /\/(?!share_nfs;)/.test(l)))
    t.match(line, /\/run\/lablb\/manila-share\/nodes\/share-share_nfs\/nfs\//, `inside the node's dir: ${line.trim()}`);
});

t.test('the NFS steps: libnfs in the VM, the URL built from checked words, a local copy in the node dir', async (t) => {
  const write = lab.experiment!.steps.find((s) => s.name === 'vm1-writes')!;
  t.same(stepKindOf('nfs-write').explain!(write, { lab, datapath: 'netdev' }).slice(-1)[0].split(' ').slice(-2), [
    '/run/lablb/manila-share/nodes/vm1/nfs/hello.txt',
    "'nfs://10.0.0.50/share_nfs/hello.txt?version=4'",
  ]);
  const read = lab.experiment!.steps.find((s) => s.name === 'vm2-reads')!;
  t.match(stepKindOf('nfs-read').explain!(read, { lab, datapath: 'netdev' })[0], /nfs-cat 'nfs:\/\/10\.0\.0\.50\/share_nfs\/hello\.txt\?version=4'$/);
});

t.test("manila's command line, as the article types it", async (t) => {
  t.same(parseManila(['create', 'NFS', '1', '--name', 'share_nfs', '--share-network', 'private']), {
    kind: 'create',
    proto: 'NFS',
    size: 1,
    name: 'share_nfs',
    shareNetwork: 'private',
  });
  t.same(
    parseManila(['create', 'nfs', '2', '--name=share_nfs', '--share_network=private']),
    { kind: 'create', proto: 'NFS', size: 2, name: 'share_nfs', shareNetwork: 'private' },
    '= and _ as the client takes them',
  );
  t.same(parseManila(['create', 'NFS', '1', '\u2014name', 'x', '--share-network', 'p']).kind, 'create', "a blog's em dash");
  t.same(parseManila(['list']), { kind: 'list' });
  for (const [argv, message] of [
    [['create', 'CIFS', '1', '--name', 'a', '--share-network', 'p'], /speaks NFS only, not CIFS/],
    [['create', 'NFS', 'x', '--name', 'a', '--share-network', 'p'], /size "x" is not a number/],
    [['create', 'NFS', '1', '--name', '../etc', '--share-network', 'p'], /--name: "\.\.\/etc" is not a name/],
    [['create', 'NFS', '1', '--name', 'a'], /--share-network: missing/],
    [['create', 'NFS', '1', '--name', 'a', '--share-network', 'p', '--metadata', 'x=y'], /does not take --metadata/],
    [['create', 'NFS', '1', '--name'], /--name needs a value/],
    [['delete', 'x'], /unknown command "delete"; known: create, list/],
    [['list', 'x'], /list takes nothing/],
  ] as const)
    t.throws(() => parseManila([...argv]), { message: message }, argv.join(' '));
});

t.test('the address Neutron would give a service port: the highest free one', async (t) => {
  t.equal(freeAddress('10.0.0.0/24', ['10.0.0.3']), '10.0.0.254');
  t.equal(freeAddress('10.0.0.0/24', ['10.0.0.254', '10.0.0.253']), '10.0.0.252');
  t.equal(freeAddress('10.0.0.0/30', ['10.0.0.1', '10.0.0.2']), undefined, 'full');
  t.equal(freeAddress('10.0.0.0/30', ['10.0.0.2']), '10.0.0.1');
});
