// The dnsmasq kind: static leases only, no DNS, its own port, the same bindings on every agent.
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../../../test/helpers.js';
import type { LabService } from '../../model.js';
import { loadScenarioFile, parseScenario } from '../../scenario/load.js';
import { resolveLab } from '../../scenario/resolve.js';
import { lastLease } from '../../steps/dhcp-request.js';
import { dnsmasq, renderInitialLeases, renderOpts, type DnsmasqSpec } from './dnsmasq.js';
import { readFileSync } from 'node:fs';

const FILE = join(ROOT, 'scenarios', 'dhcp-ha.yaml');
const lab = resolveLab(loadScenarioFile(FILE), { stateRoot: '/run/lablb' });
const agent = lab.nodes.find((n) => n.name === 'qdhcp-1')!.services[0] as LabService<DnsmasqSpec>;

t.test('a hosts file of MAC,name,IP and dnsmasq as Neutron runs it', async (t) => {
  const [hosts, opts, daemon] = dnsmasq.start(agent, { vrrpHooks: { master: [], backup: [] } });
  t.same(
    opts,
    { kind: 'write', path: '/run/lablb/dhcp-ha/nodes/qdhcp-1/dhcp.opts', content: 'option:router,10.0.0.1\n' },
    "the subnet's gateway as the router",
  );
  t.same(hosts, {
    kind: 'write',
    path: '/run/lablb/dhcp-ha/nodes/qdhcp-1/dhcp.hosts',
    content: 'fa:16:3e:00:00:11,vm1,10.0.0.11\nfa:16:3e:00:00:12,vm2,10.0.0.12\n',
  });
  t.match(daemon, { kind: 'daemon', ready: agent.pidfile });
  const argv = daemon.kind === 'daemon' ? daemon.argv : [];
  for (const a of [
    '--port=0',
    '--bind-interfaces',
    '--interface=tap-dhcp1',
    '--dhcp-range=10.0.0.0,static,86400s',
    '--dhcp-optsfile=/run/lablb/dhcp-ha/nodes/qdhcp-1/dhcp.opts',
    '--domain=openstacklocal',
  ])
    t.ok(argv.includes(a), a);
  // Without a gateway the router option is written empty: dnsmasq would offer itself otherwise.
  t.equal(renderOpts({ ...agent.spec, gateway: undefined }), 'option:router\n');
  t.throws(
    () =>
      resolveLab(parseScenario(readFileSync(FILE, 'utf8').replace('gateway_ip: 10.0.0.1   #', 'gateway_ip: 10.9.0.1   #'), 'd.yaml'), {
        stateRoot: '/run/lablb',
      }),
    /services\[0\]\.gateway_ip: 10\.9\.0\.1 is not on net1 \(10\.0\.0\.0\/24\)/,
  );
});

t.test("Kilo's agent: every port's lease written before dnsmasq starts; Juno's writes none", async (t) => {
  t.equal(agent.spec.initialLeases, false, "the article's (Juno) by default");
  t.notOk(
    dnsmasq.start(agent, { vrrpHooks: { master: [], backup: [] } }).some((op) => op.kind === 'write' && op.path === agent.spec.leaseFile),
    'no lease file written',
  );
  const kilo = resolveLab(loadScenarioFile(FILE, new Map([['initial_leases', true]])), { stateRoot: '/run/lablb' });
  const k = kilo.nodes.find((n) => n.name === 'qdhcp-2')!.services[0] as LabService<DnsmasqSpec>;
  t.equal(
    renderInitialLeases(k.spec, 1000),
    '87400 fa:16:3e:00:00:11 10.0.0.11 vm1 *\n87400 fa:16:3e:00:00:12 10.0.0.12 vm2 *\n',
    'expiry, MAC, address, name, no client id',
  );
  const ops = dnsmasq.start(k, { vrrpHooks: { master: [], backup: [] } });
  const leases = ops.findIndex((op) => op.kind === 'write' && op.path === '/run/lablb/dhcp-ha/nodes/qdhcp-2/dhcp.leases');
  t.ok(leases >= 0 && leases < ops.findIndex((op) => op.kind === 'daemon'), 'written before dnsmasq reads it');
  t.match(dnsmasq.describe(k), /each already in its lease file/);
});

t.test('a binding off the served network is refused where it is written', async (t) => {
  const text = readFileSync(FILE, 'utf8').replace(
    '{ mac: "fa:16:3e:00:00:12", name: vm2, address: 10.0.0.12 }',
    '{ mac: "fa:16:3e:00:00:12", name: vm2, address: 10.9.0.12 }',
  );
  t.throws(
    () => resolveLab(parseScenario(text, 'd.yaml'), { stateRoot: '/run/lablb' }),
    /hosts\[1\]\.address: 10\.9\.0\.12 is not on net1 \(10\.0\.0\.0\/24\)/,
  );
});

t.test('an address or a MAC bound twice is refused (dnsmasq refuses the address; the fuzz test found it)', async (t) => {
  const twice = (to: string) =>
    readFileSync(FILE, 'utf8').replace(
      '{ mac: "fa:16:3e:00:00:12", name: vm2, address: 10.0.0.12 }\n',
      `{ mac: "fa:16:3e:00:00:12", name: vm2, address: 10.0.0.12 }\n${to}\n`,
    );
  t.throws(
    () => resolveLab(parseScenario(twice('          - { mac: "fa:16:3e:00:00:13", name: vm3, address: 10.0.0.11 }'), 'd.yaml'), { stateRoot: '/run/lablb' }),
    /hosts\[2\]\.address: 10\.0\.0\.11 is listed twice/,
  );
  t.throws(
    () => resolveLab(parseScenario(twice('          - { mac: "FA:16:3E:00:00:11", name: vm3, address: 10.0.0.13 }'), 'd.yaml'), { stateRoot: '/run/lablb' }),
    /hosts\[2\]\.mac: fa:16:3e:00:00:11 is listed twice/,
  );
});

t.test("dhclient's lease file: the last lease's address and server", async (t) => {
  const text = `lease {\n  interface "eth0";\n  fixed-address 10.0.0.11;\n  option dhcp-server-identifier 10.0.0.2;\n}\nlease {\n  interface "eth0";\n  fixed-address 10.0.0.11;\n  option dhcp-server-identifier 10.0.0.3;\n}\n`;
  t.same(lastLease(text), { address: '10.0.0.11', server: '10.0.0.3' });
  t.same(lastLease(''), { address: undefined, server: undefined });
});
