// Field shapes that several kinds and the scenario file share.
import { z } from 'zod';

// lablb parses one file per run: compiling fast paths (zod's JIT) costs more than it saves.
z.config({ jitless: true });

// Linux limits an interface name to 15 bytes (IFNAMSIZ - 1) and refuses '/', ':' and spaces.
const IFNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
// A namespace is a file under /run/netns; keep it to a safe, readable alphabet.
const NSNAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export const IfName = z
  .string()
  .regex(IFNAME, { error: 'an interface name: 1-15 letters, digits, "_", "." or "-"' })
  .meta({ title: 'interface name (1-15 characters)' });
export const NsName = z
  .string()
  .regex(NSNAME, { error: 'a namespace name: 1-64 letters, digits, "_", "." or "-"' })
  .meta({ title: 'namespace name (1-64 characters)' });
export const Ipv4 = z.ipv4({ error: 'an IPv4 address such as 10.0.0.81' });
export const Cidr = z.cidrv4({ error: 'an IPv4 network such as 10.0.0.0/24' });
export const Positive = z.number({ error: 'a positive number' }).positive();
/** A step's or check's name in reports. */
export const StepName = z.string().min(1).describe('the check\'s name in reports');
/** "vm2/web": a service of a node. */
export const ServiceRef = z
  .string()
  .regex(/^[^/\s]+\/[^/\s]+$/, { error: 'a service reference node/service such as vm2/web' })
  .meta({ title: 'node/service' });
/** "lb1/eth0": a port of a node. */
export const PortRef = z
  .string()
  .regex(/^[^/\s]+\/[^/\s]+$/, { error: 'a port reference node/port such as lb1/eth0' })
  .meta({ title: 'node/port' });
