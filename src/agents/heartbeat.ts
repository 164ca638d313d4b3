// Octavia's heartbeat on the wire (drivers/health/heartbeat_udp.py and the amphora's
// health_sender): the JSON message zlib-compressed, followed by the hex HMAC-SHA256 of the
// compressed bytes keyed by the shared heartbeat_key. A message whose digest does not match
// is dropped by the health manager. Shared by the amphora agent and the health manager.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';

/** One amphora's report: its listeners and, per pool, each member's state (version 3). */
export interface Heartbeat {
  id: string;
  seq: number;
  ver: number;
  listeners: Record<string, { status: string; stats: { conns: number; totconns: number; rx: number; tx: number; ereq: number } }>;
  pools: Record<string, { status: string; members: Record<string, string> }>;
}

const DIGEST_HEX = 64;

export function encodeHeartbeat(msg: Heartbeat, key: string): Buffer {
  const body = deflateSync(Buffer.from(JSON.stringify(msg)));
  const digest = createHmac('sha256', key).update(body).digest('hex');
  return Buffer.concat([body, Buffer.from(digest)]);
}

/** The message, or why it was dropped ("bad signature", "not zlib", "not JSON"). */
export function decodeHeartbeat(data: Buffer, key: string): { msg: Heartbeat } | { error: string } {
  if (data.length <= DIGEST_HEX) return { error: 'too short' };
  const body = data.subarray(0, data.length - DIGEST_HEX);
  const given = data.subarray(data.length - DIGEST_HEX);
  const want = Buffer.from(createHmac('sha256', key).update(body).digest('hex'));
  if (!timingSafeEqual(given, want)) return { error: 'bad signature' };
  try {
    const msg = JSON.parse(inflateSync(body).toString()) as Heartbeat;
    if (typeof msg.id !== 'string') return { error: 'no amphora id' };
    return { msg };
  } catch {
    return { error: 'not a compressed JSON message' };
  }
}
