// neutron-ns-metadata-proxy: in a router namespace, on port 9697, where the l3-agent's
// `-d 169.254.169.254/32 -p tcp --dport 80 -j REDIRECT --to-ports 9697` sends an instance's
// `curl http://169.254.169.254/latest/meta-data/hostname`. The instance is known by its source
// address, as Neutron's metadata agent knows it by its port. Each request is observed and told.
// In an HA router (seed 002) the proxy runs on the MASTER alone: keepalived's notify script
// starts it on MASTER and stops it on BACKUP or FAULT, as the article's notify_master does.
import { z } from 'zod';
import { serviceFacts, type Facts } from '../../kinds/facts.js';
import { serviceEvent } from '../../kinds/events.js';
import { Ipv4, Name } from '../../kinds/fields.js';
import { logReader, serviceKind, type KindObserver, type ObserverContext, type Row } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { kindAgentArgv } from '../../agents/launch.js';
import { TOKEN_VAR } from '../../token.js';
import { startKindAgent } from '../shared/web-agent.js';

export interface MetadataProxySpec {
  port: number;
  /** Started and stopped by the node's VRRP transitions instead of at start. */
  onlyOnMaster: boolean;
  /** What Nova knows: each instance's fixed address and hostname. */
  instances: { address: string; hostname: string }[];
}

/** One request as the agent logs it. */
export interface MetadataRequest {
  from: string;
  hostname: string | null;
  method: string;
  path: string;
  status: number;
}

/** One proxy's facts: how many requests it answered, and the last. */
export interface MetadataFacts {
  requests: number;
  /** Whether its pid file is there, for a proxy only the MASTER runs. */
  running?: boolean;
  last?: MetadataRequest;
}

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('metadata-proxy'),
    port: z.int().min(1).max(65535).default(9697).describe("where the l3-agent's REDIRECT sends 169.254.169.254:80 (Neutron: 9697)"),
    instances: z
      .array(
        z.strictObject({
          hostname: Name.describe("the instance's hostname (as Nova knows it; a node added later may use it)"),
          address: Ipv4.describe('its fixed address, the source of its requests'),
        }),
      )
      .max(256)
      .default([])
      .describe('the instances it answers for; any other source gets 404, as from an unknown port'),
    only_on_master: z
      .boolean()
      .default(false)
      .describe("HA router: keepalived's notify script starts it when the node becomes MASTER and stops it on BACKUP or FAULT (seed 002)"),
  })
  .describe("neutron-ns-metadata-proxy in a router namespace: answers instances' metadata requests");

/** Requests in the agent's log text, in order. */
export function metadataRequests(text: string): MetadataRequest[] {
  return [...text.matchAll(/^request (\{.*\})$/gm)].flatMap((m) => {
    try {
      return [JSON.parse(m[1]) as MetadataRequest];
    } catch {
      return [];
    }
  });
}

const factsOf = (facts: Facts, s: { node: string; name: string }) => serviceFacts<MetadataFacts>(facts, s, () => ({ requests: 0 }));

/** "qrouter01/metadata: vm3 (10.0.0.83) GET /latest/meta-data/hostname 200". */
function requestEvent(s: LabService<MetadataProxySpec>, r: MetadataRequest, at_ms: number) {
  const who = r.hostname ? `${r.hostname} (${r.from})` : `unknown ${r.from}`;
  const text = `${s.node}/${s.name}: ${who} ${r.method} ${r.path} ${r.status}`;
  return serviceEvent(
    'metadata-proxy',
    s,
    'request',
    { text, tone: r.status === 200 ? 'info' : 'bad' },
    { from: r.from, path: r.path, status: r.status },
    at_ms,
  );
}

function observer(services: LabService<MetadataProxySpec>[], ctx: ObserverContext): KindObserver {
  const gained = logReader(ctx.host);
  return {
    everyMs: 500,
    async poll() {
      for (const s of services) {
        const text = gained(s.logfile);
        const seen = factsOf(ctx.facts, s);
        if (s.spec.onlyOnMaster) seen.running = ctx.host.exists(s.pidfile);
        for (const r of metadataRequests(text)) {
          seen.requests++;
          seen.last = r;
          ctx.emit(requestEvent(s, r, ctx.since()));
        }
      }
    },
  };
}

function rows(s: LabService<MetadataProxySpec>, facts: Facts): Row[] {
  const seen = factsOf(facts, s);
  const last = seen.last;
  return [
    [
      { text: `${s.node}/${s.name}`, tone: 'bold' },
      { text: ` metadata :${s.spec.port} ` },
      ...(seen.running === false ? [{ text: 'not running (starts on MASTER) ', tone: 'dim' as const }] : []),
      { text: `${seen.requests} request${seen.requests === 1 ? '' : 's'}`, tone: seen.requests ? 'good' : 'dim' },
      ...(last
        ? [{ text: ` last ${last.hostname ?? last.from} ${last.path} ${last.status}`, tone: last.status === 200 ? ('dim' as const) : ('bad' as const) }]
        : []),
    ],
  ];
}

// 0.0.0.0, as Neutron's proxy binds: the REDIRECT keeps the packet's destination local.
const agentArgs = (s: LabService<MetadataProxySpec>) => [
  '--listen',
  `0.0.0.0:${s.spec.port}`,
  ...s.spec.instances.flatMap((i) => ['--instance', `${i.address}=${i.hostname}`]),
];

/** On MASTER, start the agent detached with the service's token (teardown finds it by that),
 *  logging where the observer reads; a second MASTER finds it running and starts none. On
 *  BACKUP or FAULT, stop the process its pid file names, only if that is still node. */
function vrrpHooks(s: LabService<MetadataProxySpec>) {
  if (!s.spec.onlyOnMaster) return { master: [], backup: [] };
  const [node, ...args] = kindAgentArgv('metadata-proxy', [...agentArgs(s), '--pidfile', s.pidfile]);
  const daemon = ['--quiet', '--oknodo', '--pidfile', s.pidfile, '--exec', node];
  return {
    master: [['env', `${TOKEN_VAR}=${s.token}`, 'start-stop-daemon', '--start', '--background', '--output', s.logfile, ...daemon, '--', ...args]],
    backup: [['start-stop-daemon', '--stop', '--remove-pidfile', ...daemon]],
  };
}

export const metadataProxy = serviceKind<MetadataProxySpec, z.infer<typeof Block>>({
  kind: 'metadata-proxy',
  schema: Block,
  example: `name: metadata
kind: metadata-proxy
instances:
  - { hostname: vm1, address: 10.0.0.81 }`,
  tools: [
    { command: 'start-stop-daemon', pkg: 'dpkg', versionArgs: ['--version'], why: 'an HA router starts and stops its metadata proxy on VRRP transitions' },
  ],
  resolve(b, ctx) {
    const seen = new Set<string>();
    b.instances.forEach((i, ii) => {
      if (seen.has(i.address)) ctx.report(['instances', ii, 'address'], `${i.address} is listed twice`);
      seen.add(i.address);
    });
    return { port: b.port, onlyOnMaster: b.only_on_master, instances: b.instances };
  },
  checkLab(services, report) {
    for (const { service, node, at } of services)
      if (service.spec.onlyOnMaster && !node.services.some((x) => x.kind === 'keepalived'))
        report([...at, 'only_on_master'], `${node.name} runs no keepalived whose transitions could start it`);
  },
  describe: (s) =>
    `metadata proxy on :${s.spec.port} for ${s.spec.instances.map((i) => i.hostname).join(', ') || 'no instance'}${s.spec.onlyOnMaster ? ', started when this node becomes MASTER' : ''}`,
  start: (s) => (s.spec.onlyOnMaster ? [] : [startKindAgent(s, 'metadata-proxy', agentArgs(s))]),
  vrrpHooks,
  observer,
  rows,
});
