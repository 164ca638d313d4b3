// The conntrackd kind: Neutron's config shape, and the hooks keepalived's notify script runs.
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../../../test/helpers.js';
import type { LabService } from '../../model.js';
import { serviceStartOps } from '../../plan/plan.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';
import { conntrackd, type ConntrackdSpec } from './conntrackd.js';
import { renderConntrackdConf } from './render.js';

const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha-conntrackd.yaml')), { stateRoot: '/run/lablb' });
const router = lab.nodes.find((n) => n.name === 'qrouter-net1')!;
const sync = router.services.find((s) => s.kind === 'conntrackd') as LabService<ConntrackdSpec>;

t.test("FTFW over multicast on the HA port, every path in the node's dir", async (t) => {
  const conf = renderConntrackdConf(sync);
  t.match(conf, /LockFile \/run\/lablb\/l3-ha-conntrackd\/nodes\/qrouter-net1\/sync\.lock\n/);
  t.match(conf, /UNIX {\n        Path \/run\/lablb\/l3-ha-conntrackd\/nodes\/qrouter-net1\/sync\.ctl\n/);
  t.match(
    conf,
    /Mode FTFW {\n    }\n    Multicast Default {\n        IPv4_address 225\.0\.0\.50\n        IPv4_interface 169\.254\.192\.1\n        Interface ha-n1\n        Group 3781\n/,
    "Neutron's layout: one sync port per router, ha_conntrackd_group 3780 + VRID 1",
  );
  t.match(conf, /Protocol Accept {\n {12}TCP\n {12}SCTP\n {12}DCCP\n {12}UDP\n {12}ICMP\n {12}IPv6-ICMP\n {8}}/, "Neutron's protocols");
  t.match(conf, /IPv4_address 127\.0\.0\.1\n {12}IPv6_address ::1\n {12}IPv4_address 169\.254\.192\.1\n/, 'loopback and its own sync address ignored');
  const [, daemon, resync] = conntrackd.start(sync, { vrrpHooks: { master: [], backup: [] } });
  t.match(daemon, { kind: 'daemon', ready: '/run/lablb/l3-ha-conntrackd/nodes/qrouter-net1/sync.ctl' });
  t.match(resync, { kind: 'run', argv: [/./, /./, /./, 'qrouter-net1', 'conntrackd', '-C', sync.spec.config, '-n'] }, 'then asks the peer for its table');
  const peer = lab.nodes.find((n) => n.name === 'qrouter-net2')!.services.find((s) => s.kind === 'conntrackd')!;
  t.equal((peer.spec as ConntrackdSpec).group, 3781, 'its peer on the same port');
});

t.test("keepalived's notify script commits the table on MASTER and resyncs on BACKUP", async (t) => {
  const keepalived = router.services.find((s) => s.kind === 'keepalived')!;
  const script = serviceStartOps(lab, router, keepalived).find((op) => op.kind === 'write' && op.path.endsWith('notify.sh'));
  const text = script && script.kind === 'write' ? script.content : '';
  const ctl = 'conntrackd -C /run/lablb/l3-ha-conntrackd/nodes/qrouter-net1/sync.conf';
  t.match(text, `  MASTER)\n    ${ctl} -c\n    ${ctl} -f\n    ${ctl} -R\n    ${ctl} -B\n    ;;\n  BACKUP|FAULT)\n    ${ctl} -t\n    ${ctl} -n\n    ;;`);
});
