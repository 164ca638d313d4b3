// The keepalived kind: its config, its log observer, its rows, and the VRRP group checks.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { labFromText, ROOT } from '../../../test/helpers.js';
import type { LabService } from '../../model.js';
import { emptyFacts } from '../../kinds/facts.js';
import type { LabEvent } from '../../kinds/events.js';
import { loadScenarioFile, parseScenario } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';
import { keepalived, masterDownMs, type KeepalivedSpec } from './keepalived.js';
import { faultBound, masterDownBound } from './vrrp-wait.js';
import { vrrpTransitions } from '../shared/keepalived-log.js';
import { vrrpEvent, vrrpState } from './observe.js';
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
  const events: LabEvent[] = [];
  const observer = keepalived.observer!([k], { lab: pair, host, facts, emit: (e) => events.push(e), since: () => 7 });
  t.equal(vrrpState(facts, k, 'VR_1'), 'INIT');
  t.equal(keepalived.unsettled!(k, facts), 'VRRP instances not yet elected: lb1/VR_1');
  host.files.set(k.logfile, '(VR_1) Entering BACKUP STATE (init)\n');
  await observer.poll();
  host.files.set(k.logfile, '(VR_1) Entering BACKUP STATE (init)\n(VR_1) Entering MASTER STATE\n(VR_9) Entering MASTER STATE\n');
  await observer.poll();
  t.same(
    events.map((e) => e.type === 'service' && `${e.event} ${e.instance} ${e.state} ${e.tone}: ${e.text}`),
    ['vrrp VR_1 BACKUP info: lb1/vrrp VR_1: BACKUP', 'vrrp VR_1 MASTER good: lb1/vrrp VR_1: MASTER'],
    'an instance it does not run is not told',
  );
  t.match(events[0], { type: 'service', kind: 'keepalived', source: 'lb1/vrrp', node: 'lb1', service: 'vrrp', at_ms: 7 });
  t.equal(vrrpEvent(k, 'VR_1', 'FAULT', 1).tone, 'bad', 'FAULT is bad news');
  t.equal(keepalived.unsettled!(k, facts), undefined);
  const row = () =>
    keepalived.rows!(k, facts)[0]
      .map((c) => c.text)
      .join('');
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
  t.throws(
    () =>
      labFromText(`name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.1.0.0/24 }]
nodes:
  - name: a
    role: vm
    ports: [{ name: eth0, network: n, address: 10.1.0.11, bridge_port: tap-a }]
    services: [{ name: web, kind: http-text, listen: 10.1.0.100:80, text: a }]
`),
    /10\.1\.0\.100 is not an address of a \(10\.1\.0\.11\)/,
    "without keepalived the VIP is no one's",
  );
});

t.test('the Neutron L3 HA shape: excluded addresses, virtual routes, track_interface, a notify script', async (t) => {
  const l3 = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha.yaml')), { stateRoot: '/run/lablb' });
  const router = l3.nodes.find((n) => n.name === 'qrouter-net1')!;
  const k = router.services[0] as LabService<KeepalivedSpec>;
  t.equal(
    renderKeepalivedConf(k),
    `global_defs {
    router_id qrouter-net1
    script_user root
    enable_script_security
}

vrrp_instance VR_1 {
    state BACKUP
    interface ha-n1
    virtual_router_id 1
    priority 50
    advert_int 2
    nopreempt
    garp_master_delay 60
    track_interface {
        ha-n1
    }
    virtual_ipaddress {
        169.254.0.1/24 dev ha-n1
    }
    virtual_ipaddress_excluded {
        10.0.0.1/24 dev qr-n1
        10.255.253.10/24 dev qg-n1
        10.255.253.100/32 dev qg-n1
    }
    virtual_routes {
        0.0.0.0/0 via 10.255.253.1 dev qg-n1
    }
    notify "/run/lablb/l3-ha/nodes/qrouter-net1/vrrp.notify.sh"
}
`,
  );
  t.same(keepalived.claims!(k.spec), ['169.254.0.1', '10.0.0.1', '10.255.253.10', '10.255.253.100'], "VIPs and excluded addresses count as the node's");
  const ops = keepalived.start(k, { vrrpHooks: { master: [], backup: [] } });
  t.match(ops[0], { kind: 'write', path: '/run/lablb/l3-ha/nodes/qrouter-net1/vrrp.notify.sh', mode: 0o700 });
  t.match((ops[0] as { content: string }).content, /^#!\/bin\/sh\n[\s\S]*echo "\$s" > "\$\(dirname "\$0"\)\/\$2\.state"\n$/);
  const second = l3.nodes.find((n) => n.name === 'qrouter-net2')!.services[0] as LabService<KeepalivedSpec>;
  t.match(renderKeepalivedConf(second), /^global_defs \{\n {4}router_id qrouter-net2\n {4}vrrp_startup_delay 1\n/, "node 2's agent comes a second later");
  t.match(renderKeepalivedConf(second), /\n {4}priority 50\n/, 'the same priority on both, as Neutron');
});

t.test('vrrp_startup_delay as keepalived reads it: at least a millisecond, three decimals', async (t) => {
  const l3 = readFileSync(join(ROOT, 'scenarios', 'l3-ha.yaml'), 'utf8');
  const delayed = (delay: string) => {
    const lab = labFromText(l3.replace('startup_delay: 1', `startup_delay: ${delay}`));
    return renderKeepalivedConf(lab.nodes.find((n) => n.name === 'qrouter-net2')!.services[0] as LabService<KeepalivedSpec>);
  };
  t.match(delayed('1.25'), /\n {4}vrrp_startup_delay 1\.25\n/);
  t.match(delayed('0.0012345'), /\n {4}vrrp_startup_delay 0\.001\n/, 'no more decimals than keepalived reads');
  t.throws(() => delayed('0'), /startup_delay: 0 is out of range; must be >= 0\.001/, 'keepalived refuses 0: so does lablb, at the field');
});

t.test("the master-down interval follows the config's VRRP version", async (t) => {
  // NEUTRON.md 8: advert_int 2, priority 50 is 6 + 0.80 s in VRRPv2 (keepalived's default).
  t.equal(masterDownMs({ advertInt: 2, priority: 50, version: 2 }), 6805);
  t.equal(masterDownMs({ advertInt: 2, priority: 50, version: 3 }), 7609, 'VRRPv3 scales the skew by advert_int');
  t.equal(masterDownMs({ advertInt: 1, priority: 90, version: 2 }), 3648, 'at advert_int 1 the two agree');
  t.equal(masterDownMs({ advertInt: 1, priority: 90, version: 3 }), 3648);
  t.equal(masterDownMs({ advertInt: 0.5, priority: 254, version: 2 }), 1508);
  const lab = labFromText(
    readFileSync(join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml'), 'utf8').replace('priority: 90, advert_int: 1,', 'priority: 90, advert_int: 2, version: 3,'),
  );
  const lb2 = lab.nodes.find((n) => n.name === 'lb2')!.services.find((x) => x.kind === 'keepalived') as LabService<KeepalivedSpec>;
  t.match(renderKeepalivedConf(lb2), /\n {4}advert_int 2\n {4}version 3\n/, 'version 3 is written; 2, the default, is not');
  t.equal(lb2.spec.instances[0].version, 3);
  const lb1 = lab.nodes.find((n) => n.name === 'lb1')!.services.find((x) => x.kind === 'keepalived') as LabService<KeepalivedSpec>;
  t.notMatch(renderKeepalivedConf(lb1), /version|garp_master_delay|vrrp_startup_delay/);
});

t.test('HA routers: shared vrrp_managed addresses are fine; each must be moved by keepalived; routes go in virtual_routes', async (t) => {
  const text = readFileSync(join(ROOT, 'scenarios', 'l3-ha.yaml'), 'utf8');
  const problems = (changed: string) => {
    try {
      resolveLab(parseScenario(changed, 'l3.yaml'), { stateRoot: '/run/lablb' });
      return [];
    } catch (err) {
      return (err as { problems: { path: string; message: string }[] }).problems.map((p) => `${p.path}: ${p.message}`);
    }
  };
  t.same(problems(text), [], 'the same 10.0.0.1 on both routers, managed by keepalived');
  t.same(problems(text.replace('              - { address: 10.0.0.1, interface: qr-n1 }\n', '')), [
    'nodes[2].ports[1].vrrp_managed: no keepalived instance on qrouter-net1 moves 10.0.0.1; list it in virtual_ipaddress_excluded',
  ]);
  t.same(
    problems(
      text.replace(
        '{ name: qr-n2, network: tenant-net, address: 10.0.0.1, type: internal, mac: "fa:16:3e:00:01:01", vrrp_managed: true }',
        '{ name: qr-n2, network: tenant-net, address: 10.0.0.1, type: internal }',
      ),
    ),
    ['nodes[3].ports[1].address: 10.0.0.1 is already used on tenant-net by qrouter-net1/qr-n1'],
    'an address only keepalived may share',
  );
  t.same(
    problems(
      text.replace(
        '    sysctls:\n      net.ipv4.ip_forward: 1\n',
        '    routes: [{ to: default, via: 10.255.253.1 }]\n    sysctls:\n      net.ipv4.ip_forward: 1\n',
      ),
    ),
    ["nodes[2].routes[0].via: 10.255.253.1 is reached only through ports keepalived manages; add the route as the MASTER's (virtual_routes)"],
  );
  t.same(problems(text.replace('track_interface: [ha-n1]', 'track_interface: [ha-x1]')), [
    'nodes[2].services[0].instances[0].track_interface[0]: no port named "ha-x1"; did you mean "ha-n1"?',
  ]);
});

t.test("Neutron's health check: a script pinging the gateway, tracked; it bounds giving up and taking over", async (t) => {
  const FILE = join(ROOT, 'scenarios', 'l3-ha-gateway.yaml');
  const lab = resolveLab(loadScenarioFile(FILE), { stateRoot: '/run/lablb' });
  const node1 = lab.nodes.find((n) => n.name === 'qrouter-net1')!;
  const k = node1.services.find((x) => x.kind === 'keepalived') as LabService<KeepalivedSpec>;
  const inst = k.spec.instances[0];
  const script = '/run/lablb/l3-ha-gateway/nodes/qrouter-net1/vrrp.ha_check_script_1.sh';
  t.same(inst.healthCheck, { intervalS: 2, script, gateways: ['10.255.253.1'] });
  const conf = renderKeepalivedConf(k);
  t.match(conf, `}\n\nvrrp_script ha_health_check_1 {\n    script "${script}"\n    interval 2\n    fall 2\n    rise 2\n}\n\nvrrp_instance VR_1 {`);
  t.match(conf, /\n {4}track_script {\n {8}ha_health_check_1\n {4}}\n/);
  t.match(conf, /script_user root\n {4}enable_script_security/, 'keepalived runs only root-owned scripts');
  t.same(
    keepalived.start(k, { vrrpHooks: { master: [], backup: [] } }).find((op) => op.kind === 'write' && op.path === script),
    {
      kind: 'write',
      path: script,
      content: '#!/bin/bash -eu\nip a | grep 169.254.0.1 || exit 0\nping -c 1 -w 1 10.255.253.1 1>/dev/null || exit 1\n',
      mode: 0o700,
    },
    "Neutron's script: healthy without the router's VIP; the MASTER must reach the gateway",
  );
  t.same(masterDownBound(inst), {
    ms: 6805,
    why: 'the later of VRRPv2 master-down: 3 x advert_int 2 s + (256 - 50) / 256 s (6805 ms) and a MASTER giving up on its health check: fall 2 x interval 2 s + ping -w 1 s + (256 - 50) / 256 s (5805 ms)',
  });
  t.equal(masterDownBound({ ...inst, healthCheck: { ...inst.healthCheck!, intervalS: 5 } }).ms, 11_805, 'a slower check is the later');
  t.same(faultBound(inst), { ms: 5000, why: 'health check: fall 2 x interval 2 s + ping -w 1 s' });
  t.equal(faultBound({ ...inst, healthCheck: undefined }), undefined);

  const off = resolveLab(loadScenarioFile(FILE, new Map([['health_check_interval', 0]])), { stateRoot: '/run/lablb' });
  const kOff = off.nodes.find((n) => n.name === 'qrouter-net1')!.services.find((x) => x.kind === 'keepalived') as LabService<KeepalivedSpec>;
  t.equal(kOff.spec.instances[0].healthCheck, undefined, "0, Neutron's default: off");
  t.notMatch(renderKeepalivedConf(kOff), /vrrp_script|track_script/);
  t.equal(masterDownBound(kOff.spec.instances[0]).ms, 6805);
  t.throws(
    () =>
      labFromText(
        readFileSync(FILE, 'utf8').replace(
          '              - { to: default, via: 10.255.253.1, interface: qg-n1 }\n',
          '              - { to: 10.9.0.0/16, via: 10.255.253.1, interface: qg-n1 }\n',
        ),
      ),
    /instances\[0\]\.health_check_interval: the health check pings the default route's gateway: add one to virtual_routes/,
  );
});
