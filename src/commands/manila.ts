// `lablb manila ...`: Manila's commands on a running lab, as seed 000 types them. `create`
// boots the share server on the share network (a node joining through the lab's journal, its
// address the next free one, as Neutron would give it) and prints its export location.
import { UserError } from '../errors.js';
import { requireRoot } from '../engine/preflight.js';
import { joinRunTimeNode } from '../experiment/lab-api.js';
import { Name } from '../kinds/fields.js';
import type { Lab } from '../model.js';
import { freeAddress } from '../net/addr.js';
import { exportLocation, shareServerBlock } from '../steps/manila.js';
import { labUp } from './common.js';
import type { CommandContext } from './context.js';
import { runningLab } from './lab-api.js';

export const MANILA_USAGE = `Usage: sudo lablb manila [--lab LAB] <command> ...

Manila's share commands, as seed 000 types them, on a lab brought up with 'up':

  manila create NFS 1 --name share_nfs --share-network private
      boots the share server on the share network (a tenant network of the lab) with
      nfs-ganesha serving /share_nfs, and prints its export location
  manila list
      the shares and where they are exported

The share network is named by the lab network it binds (Manila's share-network-create
binds a Neutron network and subnet).`;

export type ManilaCommand = { kind: 'create'; proto: 'NFS'; size: number; name: string; shareNetwork: string } | { kind: 'list' };

const bad = (message: string) => new UserError(`manila: ${message}`, 'lablb manila help lists every form');

/** The words after `manila`, as Manila's client takes them. */
export function parseManila(argv: string[]): ManilaCommand {
  const [verb, ...rest] = argv;
  if (verb === 'list') {
    if (rest.length) throw bad(`list takes nothing, got: ${rest.join(' ')}`);
    return { kind: 'list' };
  }
  if (verb !== 'create') throw bad(`unknown command ${JSON.stringify(verb ?? '')}; known: create, list`);
  const options = new Map<string, string>();
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i].replace(/^[\u2012-\u2015\u2212]/, '--');
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const [key, inline] = a.slice(2).split(/=(.*)/s, 2);
    const value = inline ?? rest[++i];
    if (value === undefined) throw bad(`--${key} needs a value`);
    options.set(key.replace(/_/g, '-'), value);
  }
  const unknown = [...options.keys()].filter((k) => k !== 'name' && k !== 'share-network');
  if (unknown.length) throw bad(`create does not take --${unknown[0]}`);
  const [proto, size] = positionals;
  if (positionals.length !== 2) throw bad('create takes a protocol and a size: manila create NFS 1 --name NAME --share-network NET');
  if (proto.toUpperCase() !== 'NFS') throw bad(`the lab's share server speaks NFS only, not ${proto}`);
  if (!/^[1-9]\d{0,3}$/.test(size)) throw bad(`size ${JSON.stringify(size)} is not a number of GB from 1 to 9999`);
  const name = options.get('name');
  const shareNetwork = options.get('share-network');
  if (!name || !Name.safeParse(name).success)
    throw bad(`--name: ${name === undefined ? 'missing' : `${JSON.stringify(name)} is not a name`} (letters, digits, "_", "." or "-")`);
  if (!shareNetwork) throw bad('--share-network: missing');
  return { kind: 'create', proto: 'NFS', size: Number(size), name, shareNetwork };
}

const shares = (lab: Lab) => lab.nodes.filter((n) => n.role === 'share-server');

export async function manila(argv: string[], labName: string | undefined, ctx: CommandContext): Promise<number> {
  if (argv.length === 0 || argv[0] === 'help' || argv[0] === '--help' || argv[0] === '-h') {
    ctx.out(MANILA_USAGE);
    return argv.length ? 0 : 2;
  }
  const cmd = parseManila(argv);
  requireRoot(ctx.host, 'manila');
  const lab = labUp(labName ?? (process.env.LABLB_LAB || undefined));
  if (cmd.kind === 'list') {
    ctx.out(`${'name'.padEnd(20)} export location`);
    for (const n of shares(lab)) ctx.out(`${(n.services[0]?.spec as { share: string }).share.padEnd(20)} ${exportLocation(n)}`);
    return 0;
  }
  const network = lab.networks.find((n) => n.name === cmd.shareNetwork);
  if (!network) throw new UserError(`manila: no network ${cmd.shareNetwork} in lab ${lab.name}`, `networks: ${lab.networks.map((n) => n.name).join(', ')}`);
  const taken = lab.nodes.flatMap((n) => n.ports.map((p) => p.address));
  const address = freeAddress(network.cidr, taken);
  if (!address) throw new UserError(`manila: no free address left in ${network.cidr}`);
  const running = runningLab(lab.name, ctx);
  const { node, error } = await joinRunTimeNode(running, shareServerBlock({ share: cmd.name, network: cmd.shareNetwork, address }));
  if (!node) throw new UserError(`manila: ${error}`);
  ctx.out(`Created share ${cmd.name} (NFS, ${cmd.size} GB): export location ${exportLocation(node)}, served by ${node.name}`);
  return 0;
}
