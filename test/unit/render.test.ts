import t from 'tap';
import { floatingIpRules, renderRouterRules } from '../../src/services/l3-agent/rules.js';
import type { LabService } from '../../src/model.js';
import type { L3Spec } from '../../src/services/l3-agent/l3-agent.js';
import { loadFixtureLab } from '../helpers.js';

const lab = loadFixtureLab();
const l3Of = (node: string) => lab.nodes.find((n) => n.name === node)!.services.find((s) => s.kind === 'l3-agent') as LabService<L3Spec>;

t.test("router rules: the article's chains, default SNAT to the gateway, the floating IP", async (t) => {
  const router = l3Of('qrouter01');
  t.same(
    router.spec,
    {
      gatewayPort: 'qg01',
      gatewayAddress: '10.255.253.10',
      internalCidrs: ['10.0.0.0/24'],
      enableSnat: true,
      floatingIps: [{ floating: '10.255.253.100', fixed: '10.0.0.100' }],
      gatewayMovedByVrrp: false,
      internalPorts: ['qr01'],
    },
    "the node's l3: block is its l3-agent service, named l3",
  );
  t.equal(router.name, 'l3');
  t.equal(
    renderRouterRules(router.spec),
    `*filter
:neutron-filter-top - [0:0]
:neutron-l3-agent-local - [0:0]
:neutron-l3-agent-INPUT - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-FORWARD - [0:0]
-A INPUT -j neutron-l3-agent-INPUT
-A FORWARD -j neutron-filter-top
-A FORWARD -j neutron-l3-agent-FORWARD
-A OUTPUT -j neutron-filter-top
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A neutron-filter-top -j neutron-l3-agent-local
-A neutron-l3-agent-INPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 9697 -j ACCEPT
COMMIT
*nat
:neutron-l3-agent-PREROUTING - [0:0]
:neutron-l3-agent-OUTPUT - [0:0]
:neutron-l3-agent-POSTROUTING - [0:0]
:neutron-postrouting-bottom - [0:0]
:neutron-l3-agent-snat - [0:0]
:neutron-l3-agent-float-snat - [0:0]
-A PREROUTING -j neutron-l3-agent-PREROUTING
-A OUTPUT -j neutron-l3-agent-OUTPUT
-A POSTROUTING -j neutron-l3-agent-POSTROUTING
-A POSTROUTING -j neutron-postrouting-bottom
-A neutron-postrouting-bottom -j neutron-l3-agent-snat
-A neutron-l3-agent-snat -j neutron-l3-agent-float-snat
-A neutron-l3-agent-PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697
-A neutron-l3-agent-POSTROUTING ! -i qg01 ! -o qg01 -m conntrack ! --ctstate DNAT -j ACCEPT
-A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
-A neutron-l3-agent-OUTPUT -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
-A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100
-A neutron-l3-agent-snat -s 10.0.0.0/24 -j SNAT --to-source 10.255.253.10
COMMIT
`,
  );
  t.notMatch(renderRouterRules({ ...router.spec, enableSnat: false }), /--to-source 10.255.253.10\n/, 'enable_snat: false drops the default SNAT');
});

t.test('floating IP rule specs are the ones iptables-save prints', async (t) => {
  t.same(floatingIpRules('192.0.2.5', '10.1.1.5'), {
    dnat: '-A neutron-l3-agent-PREROUTING -d 192.0.2.5/32 -j DNAT --to-destination 10.1.1.5',
    outputDnat: '-A neutron-l3-agent-OUTPUT -d 192.0.2.5/32 -j DNAT --to-destination 10.1.1.5',
    snat: '-A neutron-l3-agent-float-snat -s 10.1.1.5/32 -j SNAT --to-source 192.0.2.5',
  });
});

t.test("an HA router's HA network is internal: no SNAT rule matches it (NEUTRON.md 8)", async (t) => {
  const { loadScenarioFile } = await import('../../src/scenario/load.js');
  const { resolveLab } = await import('../../src/scenario/resolve.js');
  const { join } = await import('node:path');
  const { ROOT } = await import('../helpers.js');
  const ha = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha.yaml')), { stateRoot: '/run/lablb' });
  const spec = ha.nodes.find((n) => n.name === 'qrouter-net1')!.services.find((s) => s.kind === 'l3-agent')!.spec as L3Spec;
  t.same(spec.internalCidrs, ['10.0.0.0/24']);
  t.notMatch(renderRouterRules(spec), /-s 169\.254\.192/, "the HA network 169.254.192.0/18 is not SNAT'd");
});
