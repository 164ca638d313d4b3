// Field shapes that several kinds and the scenario file share.
import { z } from 'zod';
import { UNSAFE_ABOVE_C0 } from '../safe-text.js';

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
// Short: a host's wires in the fabric are named after it (u-compute1), within 15 characters.
export const HostName = z
  .string()
  .regex(/^[a-z][a-z0-9]{0,9}$/, { error: 'a host name: a lowercase letter, then up to 9 lowercase letters or digits' })
  .meta({ title: 'host name' });
export const Ipv4 = z.ipv4({ error: 'an IPv4 address such as 10.0.0.81' });
export const Cidr = z.cidrv4({ error: 'an IPv4 network such as 10.0.0.0/24' });
export const Positive = z.number({ error: 'a positive number' }).positive();
/** A step's or check's name in reports. */
export const StepName = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, { error: 'a step name: letters, digits, "_", ".", ":" or "-", at most 64' })
  .describe("the check's name in reports");
/** "vm2/web": a service of a node. */
export const ServiceRef = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'a service reference node/service such as vm2/web' })
  .meta({ title: 'node/service' });
/** "lb1/eth0": a port of a node. */
export const PortRef = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/, { error: 'a port reference node/port such as lb1/eth0' })
  .meta({ title: 'node/port' });

// Scenario files are untrusted input run as root: every name that reaches a path, a config
// directive or a command line is held to a strict alphabet, so it can carry no newline, quote,
// slash or "..".
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const NO_DOTDOT = (s: string) => !s.includes('..');

/** A name lablb uses in paths and configs: a service, a VRRP instance, a network, a step. */
export const Name = z
  .string()
  .regex(NAME, { error: 'a name: letters, digits, "_", "." or "-", starting with a letter or digit, at most 64', abort: true })
  .refine(NO_DOTDOT, { error: 'a name without ".."' })
  .meta({ title: 'name' });

/** An id in a config (haproxy's frontend, backend and server names: Neutron's UUIDs). */
export const ConfigId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/, { error: 'an id: letters, digits, "_", ".", ":" or "-", at most 64 (a UUID fits)' })
  .meta({ title: 'id' });

/** A Unix user or group name. */
export const UnixName = z
  .string()
  .regex(/^[a-z_][a-z0-9_-]{0,31}$/, { error: 'a user or group name: lowercase letters, digits, "_" or "-"' })
  .meta({ title: 'user or group name' });

/** No control character a terminal acts on: C0, DEL, C1, bidirectional overrides. */
const ONE_LINE = new RegExp(`^[^\\u0000-\\u001f${UNSAFE_ABOVE_C0}]*$`);

/** One line of text shown to people: no control characters (no newline, no terminal escapes). */
export const Line = (max = 200) => z.string().max(max).regex(ONE_LINE, { error: 'a line of text without control characters' });

/** A MAC address. */
export const Mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, { error: 'a MAC address such as fa:16:3e:f4:8f:ae' })
  .meta({ title: 'MAC address' });

/** An OpenStack id (Neutron's ports, Octavia's load balancers and amphorae). */
export const Uuid = z
  .string()
  .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/, { error: 'a UUID such as 38307452-d6bd-488b-af29-3032fff65fe1' })
  .meta({ title: 'UUID' });

/** One word of a container's command or environment: it reaches only the container (no shell
 *  on the host), but stays printable. */
export const Word = z.string().max(1000).regex(ONE_LINE, { error: 'text without control characters' });
