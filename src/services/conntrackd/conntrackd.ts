// conntrackd: keeps a router's connection tracking table in step with its HA peer over the HA
// network (FTFW over multicast, as Neutron runs it from release 26), so that a stream through
// SNAT survives a failover: seed 002's future work. On a VRRP transition in its node,
// keepalived's notify script commits the peer's table (MASTER) or resyncs (BACKUP).
import { join } from 'node:path';
import { z } from 'zod';
import { IfName, Ipv4, Name } from '../../kinds/fields.js';
import { serviceKind } from '../../kinds/service-kind.js';
import { netns } from '../../runtime/netns/netns.js';
import { TOKEN_VAR } from '../../token.js';
import { renderConntrackdConf } from './render.js';

export interface ConntrackdSpec {
  config: string;
  socket: string;
  lockfile: string;
  interface: string;
  /** The interface's own address: conntrackd binds the multicast to it. */
  address: string;
  multicast: string;
  group: number;
}

const Block = z
  .strictObject({
    name: Name.describe('unique on the node'),
    kind: z.literal('conntrackd'),
    interface: IfName.describe("the HA network's port (ha-...): the sync traffic goes over it"),
    multicast_address: Ipv4.default('225.0.0.50').describe("the multicast group the peers sync on (Neutron's default)"),
    group: z.int().min(1).max(65000).default(3780).describe("the sync channel's UDP port before the router's VRID is added (Neutron's ha_conntrackd_group)"),
    virtual_router_id: z.int().min(1).max(255).optional().describe("the router's VRID: Neutron syncs each router on its own port, group + VRID"),
  })
  .describe('conntrackd: connection tracking synced with the HA peer, committed on promotion');

export const conntrackd = serviceKind<ConntrackdSpec, z.infer<typeof Block>>({
  kind: 'conntrackd',
  schema: Block,
  talksAtStart: true,
  example: '{ name: sync, kind: conntrackd, interface: ha-n1 }',
  tools: [{ command: 'conntrackd', pkg: 'conntrackd', versionArgs: ['-v'], why: 'connection tracking synced between HA routers' }],
  resolve(b, ctx) {
    const port = ctx.port(b.interface, ['interface']);
    return {
      config: join(ctx.node.dir, `${b.name}.conf`),
      socket: join(ctx.node.dir, `${b.name}.ctl`),
      lockfile: join(ctx.node.dir, `${b.name}.lock`),
      interface: b.interface,
      address: port?.address ?? '',
      multicast: b.multicast_address,
      group: b.group + (b.virtual_router_id ?? 0),
    };
  },
  describe: (s) => `conntrackd syncing over ${s.spec.interface} (${s.spec.multicast}, port ${s.spec.group})`,
  start: (s) => [
    { kind: 'write', path: s.spec.config, content: renderConntrackdConf(s) },
    {
      kind: 'daemon',
      argv: netns.exec(s.node, ['conntrackd', '-C', s.spec.config]),
      env: { [TOKEN_VAR]: s.token },
      ready: s.spec.socket,
      logfile: s.logfile,
      creates: [{ kind: 'process', name: `${s.node}/${s.name}`, token: s.token }],
    },
    // As Neutron's agent does once it runs: ask the peer for its table.
    { kind: 'run', argv: netns.exec(s.node, ['conntrackd', '-C', s.spec.config, '-n']) },
  ],
  // As Neutron's keepalived-state-change and the conntrackd docs' primary-backup.sh: a new
  // MASTER commits the external cache into the kernel and takes over the sync; a BACKUP
  // resyncs from the kernel and asks the peer for its state.
  vrrpHooks: (s) => {
    const ctl = (flag: string) => ['conntrackd', '-C', s.spec.config, flag];
    return { master: [ctl('-c'), ctl('-f'), ctl('-R'), ctl('-B')], backup: [ctl('-t'), ctl('-n')] };
  },
});
