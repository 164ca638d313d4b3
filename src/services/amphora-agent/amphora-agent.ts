// The amphora agent, as lablb starts it in an amphora's main namespace (the VM's, where eth0
// is on lb-mgmt-net): the controller boots an amphora with this service in its node block
// and then talks to it only over HTTP. What it does is in agent.ts; the amphora table on the
// screen is the controller's (the octavia kind), so this kind shows nothing of its own.
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { Ipv4, NsName, Uuid } from '../../kinds/fields.js';
import { ApiPrefix, HeartbeatKey } from '../shared/octavia-fields.js';
import { vrrpTransitions } from '../shared/keepalived-log.js';
import { labKeyPath } from '../../token.js';
import { Endpoint, startKindAgent } from '../shared/web-agent.js';
import { serviceFacts } from '../../kinds/facts.js';
import { serviceEvent } from '../../kinds/events.js';
import { serviceKind, type KindObserver, type ObserverContext } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { netns } from '../../runtime/netns/netns.js';

export interface AmphoraAgentSpec {
  amphoraId: string;
  address: string;
  port: number;
  apiPrefix: string;
  controller: string;
  heartbeatKey: string;
  heartbeatIntervalMs: number;
  haproxyNamespace: string;
  /** The lab's secret: a request without it is refused (a config it takes can start programs). */
  keyFile: string;
}

const Block = z
  .strictObject({
    name: z.literal('amphora-agent'),
    kind: z.literal('amphora-agent'),
    amphora_id: Uuid.describe("the amphora's id in Octavia's database"),
    listen: Endpoint.describe('its lb-mgmt-net address and port (9876 in Mitaka, 9443 today)'),
    api_prefix: ApiPrefix.default('/0.5').describe("the REST API's prefix: /0.5 as the article types it, /1.0 today"),
    controller: Endpoint.describe("the health manager's address and port for heartbeats (UDP 5555)"),
    heartbeat_key: HeartbeatKey.describe('the shared key its heartbeats are signed with (HMAC-SHA256)'),
    heartbeat_interval_ms: z.int().min(100).max(60_000).default(10_000).describe('how often it sends a heartbeat (Octavia: 10 s)'),
    haproxy_namespace: NsName.describe('its amphora-haproxy namespace: a node of the lab with no ports yet'),
  })
  .describe("Octavia's amphora agent: REST on lb-mgmt-net, heartbeats to the health manager");

/** The request lines of its log, werkzeug's: `192.168.0.3 - - [date] "PUT /0.5/vrrp/start HTTP/1.1" 202 -`. */
export function agentRequests(text: string): { from: string; method: string; path: string; status: number; line: string }[] {
  return [...text.matchAll(/^.* werkzeug \[-\] (\S+) - - \[[^\]]*\] "(\S+) (\S+) HTTP\/[\d.]+" (\d{3}) -$/gm)].map((m) => ({
    from: m[1],
    method: m[2],
    path: m[3],
    status: Number(m[4]),
    line: m[0],
  }));
}

/** Where the agent keeps an amphora's configs and logs (its --dir). */
export const amphoraDir = (s: LabService<AmphoraAgentSpec>): string => join(dirname(s.pidfile), 'amphora');

interface AgentFacts {
  offset: number;
  vrrpOffset: number;
  requests: number;
  /** keepalived's state in this amphora, as its log last told it. */
  vrrp?: string;
}

/** Each request the controller makes, told as the agent logged it, and each VRRP state
 *  keepalived enters in the amphora (the story of a failover, pitfall 9's above all). The read
 *  offsets are kept in the facts: the observer is made anew whenever an amphora joins or leaves. */
function observer(services: LabService<AmphoraAgentSpec>[], ctx: ObserverContext): KindObserver {
  return {
    everyMs: 250,
    async poll() {
      for (const s of services) {
        const seen = serviceFacts<AgentFacts>(ctx.facts, s, () => ({ offset: 0, vrrpOffset: 0, requests: 0 }));
        const vrrp = ctx.host.readNew(join(amphoraDir(s), 'vrrp', 'keepalived.log'), seen.vrrpOffset);
        seen.vrrpOffset = vrrp.next;
        for (const { state } of vrrpTransitions(vrrp.text)) {
          seen.vrrp = state;
          ctx.emit(
            serviceEvent(
              'amphora-agent',
              s,
              'vrrp',
              { text: `${s.node}: keepalived ${state}`, tone: state === 'MASTER' ? 'good' : state === 'FAULT' ? 'bad' : 'info' },
              { state },
              ctx.since(),
            ),
          );
        }
        const { text, next } = ctx.host.readNew(s.logfile, seen.offset);
        seen.offset = next;
        for (const r of agentRequests(text)) {
          seen.requests++;
          ctx.emit(
            serviceEvent(
              'amphora-agent',
              s,
              'request',
              { text: `${s.node}: ${r.method} ${r.path} ${r.status}`, tone: r.status < 400 ? 'info' : 'bad' },
              { method: r.method, path: r.path, status: r.status, from: r.from, line: r.line.replace(/^.* werkzeug/, 'werkzeug') },
              ctx.since(),
            ),
          );
        }
      }
    },
  };
}

export const amphoraAgent = serviceKind<AmphoraAgentSpec, z.infer<typeof Block>>({
  kind: 'amphora-agent',
  schema: Block,
  example: `name: amphora-agent
kind: amphora-agent
amphora_id: b07c2493-32de-4af0-bf88-abe3c54355ce
listen: 192.168.0.10:9876
controller: 192.168.0.3:5555
heartbeat_key: insecure
haproxy_namespace: amphora-b07c2493-haproxy`,
  tools: [
    { command: 'haproxy', pkg: 'haproxy', versionArgs: ['-v'], why: "the amphora's load balancer" },
    { command: 'keepalived', pkg: 'keepalived', versionArgs: ['--version'], why: "the amphorae's VRRP (ACTIVE_STANDBY)" },
    { command: 'arping', pkg: 'iputils-arping', versionArgs: ['-V'], why: "a STANDALONE amphora's gratuitous ARP for the VIP" },
  ],
  resolve(b, ctx) {
    const [address, port] = b.listen.split(':');
    if (!ctx.nodeNames.includes(b.haproxy_namespace)) ctx.report(['haproxy_namespace'], ctx.unknown('node', b.haproxy_namespace, ctx.nodeNames));
    if (Number(port) < 1 || Number(port) > 65535) ctx.report(['listen'], `port ${port} is not 1-65535`);
    if (!Ipv4.safeParse(address).success) ctx.report(['listen'], `${address} is not an IPv4 address`);
    return {
      amphoraId: b.amphora_id,
      address,
      port: Number(port),
      apiPrefix: b.api_prefix,
      controller: b.controller,
      heartbeatKey: b.heartbeat_key,
      heartbeatIntervalMs: b.heartbeat_interval_ms,
      haproxyNamespace: b.haproxy_namespace,
      keyFile: labKeyPath(dirname(dirname(ctx.node.dir))),
    };
  },
  binds: (spec) => [{ address: spec.address, path: ['listen'] }],
  describe: (s) => `amphora agent ${s.spec.amphoraId.slice(0, 8)} on ${s.spec.address}:${s.spec.port}${s.spec.apiPrefix}`,
  start: (s) => [
    startKindAgent(s, 'amphora-agent', [
      '--listen',
      `${s.spec.address}:${s.spec.port}`,
      '--prefix',
      s.spec.apiPrefix,
      '--id',
      s.spec.amphoraId,
      '--namespace',
      s.spec.haproxyNamespace,
      // How to run a command in amphora-haproxy: the runtime's words, not the agent's.
      ...netns.exec(s.spec.haproxyNamespace, []).flatMap((w) => ['--enter', w]),
      '--dir',
      amphoraDir(s),
      '--controller',
      s.spec.controller,
      '--key',
      s.spec.heartbeatKey,
      '--interval-ms',
      String(s.spec.heartbeatIntervalMs),
      '--lab-key-file',
      s.spec.keyFile,
    ]),
  ],
  observer,
});
