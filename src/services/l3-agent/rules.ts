// The neutron-l3-agent's chains in a router namespace, as iptables-restore input.
// Chain layout as in seed 001 (Juno era): filter-top -> local, wrapped INPUT/OUTPUT/FORWARD,
// nat PREROUTING/OUTPUT/POSTROUTING wrapped, postrouting-bottom -> snat -> float-snat.
import type { L3Spec } from './l3-agent.js';

const P = 'neutron-l3-agent';

export interface NatRuleIds {
  dnat: string;
  outputDnat: string;
  snat: string;
}

/** The exact rule specs of a floating IP, shared by the renderer and the counter reader. */
export function floatingIpRules(floating: string, fixed: string): NatRuleIds {
  return {
    dnat: `-A ${P}-PREROUTING -d ${floating}/32 -j DNAT --to-destination ${fixed}`,
    outputDnat: `-A ${P}-OUTPUT -d ${floating}/32 -j DNAT --to-destination ${fixed}`,
    snat: `-A ${P}-float-snat -s ${fixed}/32 -j SNAT --to-source ${floating}`,
  };
}

export function renderRouterRules(l3: L3Spec): string {
  const filter = [
    '*filter',
    ...['neutron-filter-top', `${P}-local`, `${P}-INPUT`, `${P}-OUTPUT`, `${P}-FORWARD`].map((c) => `:${c} - [0:0]`),
    '-A INPUT -j neutron-l3-agent-INPUT',
    '-A FORWARD -j neutron-filter-top',
    '-A FORWARD -j neutron-l3-agent-FORWARD',
    '-A OUTPUT -j neutron-filter-top',
    '-A OUTPUT -j neutron-l3-agent-OUTPUT',
    `-A neutron-filter-top -j ${P}-local`,
    // The metadata proxy's port (a metadata-proxy service listens there when the router runs one).
    `-A ${P}-INPUT -d 127.0.0.1/32 -p tcp -m tcp --dport 9697 -j ACCEPT`,
    'COMMIT',
  ];
  const gw = l3.gatewayPort;
  const nat = [
    '*nat',
    ...[`${P}-PREROUTING`, `${P}-OUTPUT`, `${P}-POSTROUTING`, 'neutron-postrouting-bottom', `${P}-snat`, `${P}-float-snat`].map((c) => `:${c} - [0:0]`),
    `-A PREROUTING -j ${P}-PREROUTING`,
    `-A OUTPUT -j ${P}-OUTPUT`,
    `-A POSTROUTING -j ${P}-POSTROUTING`,
    '-A POSTROUTING -j neutron-postrouting-bottom',
    `-A neutron-postrouting-bottom -j ${P}-snat`,
    `-A ${P}-snat -j ${P}-float-snat`,
    `-A ${P}-PREROUTING -d 169.254.169.254/32 -p tcp -m tcp --dport 80 -j REDIRECT --to-ports 9697`,
    // Traffic that neither enters nor leaves by the gateway, and was not DNAT'd, keeps its address.
    `-A ${P}-POSTROUTING ! -i ${gw} ! -o ${gw} -m conntrack ! --ctstate DNAT -j ACCEPT`,
    ...l3.floatingIps.flatMap(({ floating, fixed }) => {
      const r = floatingIpRules(floating, fixed);
      return [r.dnat, r.outputDnat, r.snat];
    }),
    ...(l3.enableSnat ? l3.internalCidrs.map((cidr) => `-A ${P}-snat -s ${cidr} -j SNAT --to-source ${l3.gatewayAddress}`) : []),
    'COMMIT',
  ];
  return `${[...filter, ...nat].join('\n')}\n`;
}
