// The keepalived kind: its config, its log observer, its rows, and the VRRP group checks.
import { join } from 'node:path';
import t from 'tap';
import { labFromText, ROOT } from '../../../test/helpers.js';
import type { LabService } from '../../model.js';
import { emptyFacts } from '../../observe/facts.js';
import { loadScenarioFile } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';
import { keepalived, vrrpTransitions, type KeepalivedSpec } from './keepalived.js';
import { renderKeepalivedConf } from './render.js';

const pair = resolveLab(loadScenarioFile(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml')), { stateRoot: '/run/lablb' });

t.test('keepalived.conf: every node starts BACKUP; the priority decides', async (t) => {
  const k = pair.nodes[0].services[0] as LabService<KeepalivedSpec>;
  t.equal(
    renderKeepalivedConf(k),
    `global_defs {
    router_id lb1
}

vrrp_instance VR_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority 100
    advert_int 1
    virtual_ipaddress {
        10.1.0.100/24 dev eth0
    }
}
`,
  );
  t.match(renderKeepalivedConf({ ...k, spec: { ...k.spec, instances: [{ ...k.spec.instances[0], nopreempt: true }] } }), /advert_int 1\n    nopreempt\n/);
  t.same(pair.nodes[0].sysctls, [['net.ipv4.ip_nonlocal_bind', '1']], 'a keepalived node may bind a VIP it does not hold yet');
});

t.test('keepalived log: every transition in order', async (t) => {
  const log = `Sun Nov 22 04:18:27 2026: (VR_1) Entering BACKUP STATE (init)
Sun Nov 22 04:18:30 2026: (VR_1) Entering MASTER STATE
Sun Nov 22 04:18:31 2026: (VR_2) Entering BACKUP STATE
Sun Nov 22 04:18:35 2026: (VR_1) Entering FAULT STATE
`;
  t.same(vrrpTransitions(log), [
    { instance: 'VR_1', state: 'BACKUP' },
    { instance: 'VR_1', state: 'MASTER' },
    { instance: 'VR_2', state: 'BACKUP' },
    { instance: 'VR_1', state: 'FAULT' },
  ]);
  t.same(vrrpTransitions('nothing here'), []);
});

t.test('its observer reads only what the log gained, and emits a typed event per transition', async (t) => {
  const { fakeHost } = await import('../../../test/fake-host.js');
  const k = pair.nodes[0].services[0] as LabService<KeepalivedSpec>;
  const host = fakeHost();
  const facts = emptyFacts();
  const events: { type: string; state?: string }[] = [];
  const observer = keepalived.observer!([k], { lab: pair, host, facts, emit: (e) => events.push(e), since: () => 7 });
  t.same(facts.vrrp.map((v) => v.state), ['INIT']);
  t.equal(keepalived.unsettled!(k, facts), 'VRRP instances not yet elected: lb1/VR_1');
  host.files.set(k.logfile, '(VR_1) Entering BACKUP STATE (init)\n');
  await observer.poll();
  host.files.set(k.logfile, '(VR_1) Entering BACKUP STATE (init)\n(VR_1) Entering MASTER STATE\n');
  await observer.poll();
  t.same(events, [
    { type: 'vrrp', node: 'lb1', service: 'vrrp', instance: 'VR_1', state: 'BACKUP', at_ms: 7 },
    { type: 'vrrp', node: 'lb1', service: 'vrrp', instance: 'VR_1', state: 'MASTER', at_ms: 7 },
  ]);
  t.equal(keepalived.unsettled!(k, facts), undefined);
  const row = () => keepalived.rows!(k, facts)[0].map((c) => c.text).join('');
  t.equal(row(), 'lb1/vrrp VR_1 id 51 prio 100 MASTER VIP 10.1.0.100');
  facts.addresses = { lb1: [{ dev: 'eth0', address: '10.1.0.100/24' }] };
  t.equal(row(), 'lb1/vrrp VR_1 id 51 prio 100 MASTER holds 10.1.0.100', 'and says when it holds the VIP');
});

t.test('what it declares: VIPs as owned addresses, ip_nonlocal_bind', async (t) => {
  const k = pair.nodes[0].services[0] as LabService<KeepalivedSpec>;
  t.same(keepalived.claims!(k.spec), ['10.1.0.100']);
  t.same(keepalived.sysctls!(k.spec), [['net.ipv4.ip_nonlocal_bind', '1']]);
  // A web server bound to the VIP validates because the VIP is claimed, not a port's address.
  t.equal(pair.nodes[0].services[1].name, 'web');
  t.throws(() => labFromText(`name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.1.0.0/24 }]
nodes:
  - name: a
    role: vm
    ports: [{ name: eth0, network: n, address: 10.1.0.11, bridge_port: tap-a }]
    services: [{ name: web, kind: http-text, listen: 10.1.0.100:80, text: a }]
`), /10\.1\.0\.100 is not an address of a \(10\.1\.0\.11\)/, 'without keepalived the VIP is no one\'s');
});
