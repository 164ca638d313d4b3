// A real DHCP client in a node: dhclient asks for a lease on a port, once, and the check says
// which address came and which DHCP server gave it. Its address is not configured
// (-sf /bin/true): the lease is what is judged. Its process is journaled, and stopped after.
import { join } from 'node:path';
import { z } from 'zod';
import { Ipv4, NsName, PortRef, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns/netns.js';
import { TOKEN_VAR } from '../token.js';
import type { Lab } from '../model.js';
import { opToShell, type Op } from '../kinds/ops.js';
import { boundLimitMs, type WaitBound } from '../kinds/wait-kind.js';
import { againstBound } from './action-step.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('dhcp-request'),
    port: PortRef.describe('the port to ask on, as node/port'),
    expect_address: Ipv4.describe('the fixed IP the lease must carry'),
    expect_server: NsName.optional().describe('the node whose DHCP server must answer'),
    timeout_ms: z.int().min(1000).max(60_000).default(15_000),
  })
  .describe('Ask for a DHCP lease with dhclient; judge the address and which server answered');

interface DhcpSpec {
  node: string;
  port: string;
  dir: string;
  expectAddress: string;
  expectServer?: string;
  timeoutMs: number;
}

/** The last lease in a dhclient lease file: its address, the server that gave it, the router
 *  and domain it offered. */
export function lastLease(text: string): { address?: string; server?: string; router?: string; domain?: string } {
  const block = text.split('lease {').at(-1) ?? '';
  return {
    address: /fixed-address ([\d.]+);/.exec(block)?.[1],
    server: /option dhcp-server-identifier ([\d.]+);/.exec(block)?.[1],
    router: /option routers ([\d.]+);/.exec(block)?.[1],
    domain: /option domain-name "([^"]*)";/.exec(block)?.[1],
  };
}

/** dhclient's own defaults, written out so that the bound below is the config's: how long it
 *  asks for its old lease (INIT-REBOOT) before it starts over, and its retransmission timers. */
export const DHCLIENT_TIMERS = { rebootS: 10, initialIntervalS: 3, backoffCutoffS: 15 };

/** A client with a lease asks for it again until `reboot` has passed, checked at each
 *  retransmission, whose interval never exceeds 1.5 x backoff-cutoff; then it DISCOVERs, and a
 *  server that has the binding offers at once. A client without a lease DISCOVERs at once. */
export function leaseBound(t = DHCLIENT_TIMERS): WaitBound {
  return {
    ms: (t.rebootS + 1.5 * t.backoffCutoffS) * 1000,
    why: `dhclient: reboot ${t.rebootS} s + a retransmission at most 1.5 x backoff-cutoff ${t.backoffCutoffS} s`,
  };
}

/** The ops that ask for a lease, and the one that stops dhclient after (it would stay to
 *  renew it; the experiment asks again when it wants a renewal). */
function dhclient(spec: DhcpSpec, lab: Lab): { ask: Op[]; stop: Op; leases: string } {
  const { node, port, dir, timeoutMs } = spec;
  const leases = join(dir, `${port}.dhclient.leases`);
  const conf = join(dir, `${port}.dhclient.conf`);
  const token = `${lab.name}/${node}/dhclient-${port}`;
  return {
    ask: [
      // One try, bounded: dhclient would otherwise retry for a minute.
      {
        kind: 'write',
        path: conf,
        content: [
          `timeout ${Math.ceil(timeoutMs / 1000)};`,
          'retry 1;',
          `reboot ${DHCLIENT_TIMERS.rebootS};`,
          `initial-interval ${DHCLIENT_TIMERS.initialIntervalS};`,
          `backoff-cutoff ${DHCLIENT_TIMERS.backoffCutoffS};`,
          '',
        ].join('\n'),
      },
      {
        kind: 'run',
        argv: netns.exec(node, ['dhclient', '-1', '-v', '-sf', '/bin/true', '-cf', conf, '-lf', leases, '-pf', join(dir, `${port}.dhclient.pid`), port]),
        env: { [TOKEN_VAR]: token },
        creates: [{ kind: 'process', name: `${node}/dhclient-${port}`, token }],
      },
    ],
    stop: { kind: 'stop', token, graceMs: 1000, what: `dhclient on ${node}/${port}` },
    leases,
  };
}

export const dhcpRequest = stepKind<DhcpSpec, z.infer<typeof Block>>({
  kind: 'dhcp-request',
  schema: Block,
  example: '{ name: vm1-gets-its-lease, kind: dhcp-request, port: vm1/eth0, expect_address: 10.0.0.11 }',
  tools: [{ command: 'dhclient', pkg: 'isc-dhcp-client', versionArgs: ['--version'], why: 'a real DHCP client in a VM namespace' }],
  resolve(b, ctx) {
    ctx.port(b.port, ['port']);
    const [node, port] = b.port.split('/');
    if (b.expect_server) ctx.node(b.expect_server, ['expect_server']);
    return {
      node,
      port,
      dir: ctx.lab.nodes.find((n) => n.name === node)?.dir ?? '',
      expectAddress: b.expect_address,
      expectServer: b.expect_server,
      timeoutMs: b.timeout_ms,
    };
  },
  explain: ({ spec }, { lab }) => {
    const d = dhclient(spec, lab);
    return [
      ...d.ask.map(opToShell),
      opToShell(d.stop),
      `# passes when the lease is ${spec.expectAddress}${spec.expectServer ? ` from ${spec.expectServer}` : ''}, within ${boundLimitMs(leaseBound())} ms (${leaseBound().why}, with the tolerance)`,
    ];
  },
  async run(step, ctx) {
    const { node, port, expectAddress, expectServer } = step.spec;
    const d = dhclient(step.spec, ctx.lab);
    const t0 = performance.now();
    let failure: string | undefined;
    try {
      await ctx.apply(d.ask);
    } catch (err) {
      failure = (err as Error).message.split('\n').filter(Boolean).slice(-1)[0];
    }
    const ms = Math.round(performance.now() - t0);
    const bound = leaseBound();
    await ctx.apply([d.stop]);
    const lease = lastLease(ctx.host.readFile(d.leases) ?? '');
    const serverNode = ctx.lab.nodes.find((n) => n.ports.some((p) => p.address === lease.server))?.name;
    const problems = [
      failure ? `dhclient failed: ${failure}` : '',
      lease.address !== expectAddress ? `got ${lease.address ?? 'no lease'}, expected ${expectAddress}` : '',
      expectServer && serverNode !== expectServer ? `answered by ${serverNode ?? lease.server ?? 'nobody'}, expected ${expectServer}` : '',
      lease.address && ms > boundLimitMs(bound) ? 'slower than the protocol allows' : '',
    ].filter(Boolean);
    return {
      name: step.name,
      ok: problems.length === 0,
      detail: lease.address
        ? `${node}/${port} got ${lease.address} from ${serverNode ?? '?'} (${lease.server}), router ${lease.router ?? 'none'}, domain ${lease.domain ?? 'none'}, in ${ms} ms ${againstBound(ms, bound)}${problems.length ? `; ${problems.join('; ')}` : ''}`
        : `${node}/${port} got no lease in ${ms} ms; ${problems.join('; ')}`,
      address: lease.address ?? '',
      server: serverNode ?? '',
      router: lease.router ?? '',
      lease_ms: ms,
      lease_bound_ms: bound.ms,
    };
  },
});
