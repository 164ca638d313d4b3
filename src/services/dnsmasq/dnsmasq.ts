// dnsmasq as Neutron's DHCP agent runs it in a qdhcp namespace: static leases only (every MAC
// has its fixed IP in a hosts file), the subnet's gateway in an opts file, Neutron's domain, no
// DNS (port 0), bound to its own port. Two of them with
// the same hosts file serve one network, as with dhcp_agents_per_network=2 (seed 002's DHCP
// detour): either answers, with the same address.
import { join } from 'node:path';
import { z } from 'zod';
import { IfName, Ipv4, Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { contains, subnet } from '../../net/addr.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';

export interface DnsmasqSpec {
  interface: string;
  /** The network's address, for --dhcp-range=<net>,static. */
  network: string;
  leaseSeconds: number;
  hosts: { mac: string; name: string; address: string }[];
  hostsFile: string;
  leaseFile: string;
  /** A lease written for every host before it starts (Neutron's agent since Kilo). */
  initialLeases: boolean;
  /** The opts file: the router option, the subnet's gateway or none. */
  optsFile: string;
  gateway?: string;
  domain: string;
}

/** Neutron's opts file: the gateway as the router option; for a subnet without one, the option
 *  empty, or dnsmasq would offer its own address as the router. */
export const renderOpts = (spec: DnsmasqSpec): string => `option:router${spec.gateway ? `,${spec.gateway}` : ''}\n`;

/** dnsmasq's lease file: "<expiry> <mac> <ip> <name> <client id>" a line, as Neutron's DHCP
 *  agent writes it beside the hosts file since Kilo, every port's lease already given. */
export function renderInitialLeases(spec: DnsmasqSpec, nowSeconds: number): string {
  return spec.hosts.map((h) => `${nowSeconds + spec.leaseSeconds} ${h.mac} ${h.address} ${h.name} *\n`).join('');
}

const Mac = z
  .string()
  .regex(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i, { error: 'a MAC address such as fa:16:3e:00:00:11' })
  .meta({ title: 'MAC address' });

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('dnsmasq'),
    interface: IfName.describe("the port it serves DHCP on (the qdhcp namespace's tap)"),
    lease_seconds: z.int().min(120).max(86400).default(86400).describe("lease time (Neutron's dhcp_lease_duration)"),
    hosts: z
      .array(
        z.strictObject({
          mac: Mac,
          name: Name.describe('the host name it is given'),
          address: Ipv4.describe("its fixed IP, on the interface's network"),
        }),
      )
      .min(1)
      .max(1024)
      .describe('the static leases: MAC -> address, the same on every DHCP server of the network'),
    gateway_ip: Ipv4.optional().describe("the subnet's gateway, offered as the router (Neutron's opts file); none: no router offered"),
    dns_domain: Name.default('openstacklocal').describe("the domain offered to clients (Neutron's dns_domain)"),
    initial_leases: z
      .boolean()
      .default(false)
      .describe(
        "write a lease for every host before it starts, as Neutron's DHCP agent does since Kilo (Juno's did not): a second agent then knows leases it never gave",
      ),
  })
  .describe("dnsmasq serving static DHCP leases, as Neutron's DHCP agent runs it");

export const dnsmasq = serviceKind<DnsmasqSpec, z.infer<typeof Block>>({
  kind: 'dnsmasq',
  schema: Block,
  example: `name: dhcp
kind: dnsmasq
interface: tap-dhcp1
hosts:
  - { mac: "fa:16:3e:00:00:11", name: vm1, address: 10.0.0.11 }`,
  tools: [{ command: 'dnsmasq', pkg: 'dnsmasq-base', versionArgs: ['--version'], why: "DHCP servers (Neutron's DHCP agent)" }],
  resolve(b, ctx) {
    const port = ctx.port(b.interface, ['interface']);
    const net = port ? subnet(`${port.address}/${port.prefix}`) : undefined;
    if (b.gateway_ip && net && !contains(net.cidr, b.gateway_ip)) ctx.report(['gateway_ip'], `${b.gateway_ip} is not on ${port!.network} (${net.cidr})`);
    // dnsmasq refuses a second binding of an address, and a MAC with two would get either.
    const seen = { address: new Set<string>(), mac: new Set<string>() };
    b.hosts.forEach((h, hi) => {
      if (net && !contains(net.cidr, h.address)) ctx.report(['hosts', hi, 'address'], `${h.address} is not on ${port!.network} (${net.cidr})`);
      for (const [field, value] of [
        ['address', h.address],
        ['mac', h.mac.toLowerCase()],
      ] as const) {
        if (seen[field].has(value)) ctx.report(['hosts', hi, field], `${value} is listed twice`);
        seen[field].add(value);
      }
    });
    return {
      interface: b.interface,
      network: net?.network ?? '',
      leaseSeconds: b.lease_seconds,
      hosts: b.hosts.map((h) => ({ mac: h.mac.toLowerCase(), name: h.name, address: h.address })),
      hostsFile: join(ctx.node.dir, `${b.name}.hosts`),
      leaseFile: join(ctx.node.dir, `${b.name}.leases`),
      initialLeases: b.initial_leases,
      optsFile: join(ctx.node.dir, `${b.name}.opts`),
      ...(b.gateway_ip ? { gateway: b.gateway_ip } : {}),
      domain: b.dns_domain,
    };
  },
  describe: (s) => `dnsmasq on ${s.spec.interface}: ${s.spec.hosts.length} static leases${s.spec.initialLeases ? ', each already in its lease file' : ''}`,
  start: (s) => [
    { kind: 'write', path: s.spec.hostsFile, content: s.spec.hosts.map((h) => `${h.mac},${h.name},${h.address}`).join('\n') + '\n' },
    { kind: 'write', path: s.spec.optsFile, content: renderOpts(s.spec) },
    ...(s.spec.initialLeases ? [{ kind: 'write' as const, path: s.spec.leaseFile, content: renderInitialLeases(s.spec, Math.floor(Date.now() / 1000)) }] : []),
    {
      kind: 'daemon',
      argv: netns.exec(s.node, [
        'dnsmasq',
        '--conf-file=/dev/null',
        '--keep-in-foreground',
        '--no-hosts',
        '--no-resolv',
        '--port=0',
        '--bind-interfaces',
        `--interface=${s.spec.interface}`,
        '--except-interface=lo',
        `--dhcp-range=${s.spec.network},static,${s.spec.leaseSeconds}s`,
        `--dhcp-hostsfile=${s.spec.hostsFile}`,
        `--dhcp-optsfile=${s.spec.optsFile}`,
        `--domain=${s.spec.domain}`,
        `--dhcp-leasefile=${s.spec.leaseFile}`,
        `--pid-file=${s.pidfile}`,
        '--log-dhcp',
        '--log-facility=-',
        // It stays root: its hosts and lease files are in the lab's root-only dir.
        '--user=root',
        '--group=root',
      ]),
      env: { [TOKEN_VAR]: s.token },
      ready: s.pidfile,
      logfile: s.logfile,
      creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token, pidfile: s.pidfile }],
    },
  ],
});
