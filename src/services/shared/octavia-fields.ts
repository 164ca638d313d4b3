// Words the Octavia controller and its amphorae's agents must agree on.
import { z } from 'zod';

/** The shared key heartbeats are signed with (HMAC-SHA256); it reaches argv (so it may not
 *  start with "-") and a JSON file. */
export const HeartbeatKey = z
  .string()
  .regex(/^[A-Za-z0-9_.][A-Za-z0-9_.-]{0,63}$/, { error: 'a heartbeat key: 1-64 letters, digits, "_", "." or "-", not starting with "-"' })
  .meta({ title: 'heartbeat key' });

/** Octavia's API prefix: the article's Mitaka agent (0.5), or today's (1.0, which also wants TLS). */
export const ApiPrefix = z.enum(['/0.5', '/1.0']);
