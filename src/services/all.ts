// The service kinds lablb knows: one line each. A new kind is a folder beside these and a line
// here (see README, "Adding a kind").
import type { AnyServiceKind } from '../kinds/service-kind.js';
import { amphoraAgent } from './amphora-agent/amphora-agent.js';
import { conntrackd } from './conntrackd/conntrackd.js';
import { dnsmasq } from './dnsmasq/dnsmasq.js';
import { haproxy } from './haproxy/haproxy.js';
import { httpText } from './http-text/http-text.js';
import { httpWhoami } from './http-whoami/http-whoami.js';
import { keepalived } from './keepalived/keepalived.js';
import { l3Agent } from './l3-agent/l3-agent.js';
import { metadataProxy } from './metadata-proxy/metadata-proxy.js';
import { nfsGanesha } from './nfs-ganesha/nfs-ganesha.js';
import { octavia } from './octavia/octavia.js';
import { tcpEcho } from './tcp-echo/tcp-echo.js';
import { tcpStream } from './tcp-stream/tcp-stream.js';

// One kind a line: adding a kind is adding its line.
// prettier-ignore
export const SERVICE_KINDS: readonly AnyServiceKind[] = [
  httpText,
  httpWhoami,
  haproxy,
  keepalived,
  tcpStream,
  tcpEcho,
  conntrackd,
  dnsmasq,
  l3Agent,
  metadataProxy,
  octavia,
  amphoraAgent,
  nfsGanesha,
];

const byKind = new Map(SERVICE_KINDS.map((k) => [k.kind, k]));

export function serviceKindOf(kind: string): AnyServiceKind {
  const k = byKind.get(kind);
  if (!k) throw new Error(`no service kind ${kind}`);
  return k;
}
