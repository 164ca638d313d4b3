// `lablb trace [lab] --from NODE --to ADDR[:PORT]`: one real packet's path through a running
// lab, node by node and bridge by bridge, with the rule or flow that decided each step and the
// drop point when it is dropped.
import { Engine } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { requireRoot } from '../engine/preflight.js';
import { EXIT_CHECK_FAILED, EXIT_OK, UserError } from '../errors.js';
import { isIpv4 } from '../net/addr.js';
import { tracePacket, type TraceRequest } from '../trace/trace.js';
import { labWithNode } from './common.js';
import type { CommandContext } from './context.js';

/** Source ports the trace tags its packet with: above Linux's usual ephemeral range's start,
 *  random so that two traces in a row do not meet the first one's TIME_WAIT. */
const SPORT_FROM = 33_000;
const SPORT_SPAN = 28_000;

/** ADDR or ADDR:PORT, checked. */
export function parseDestination(to: string | undefined): { address: string; port?: number } {
  if (!to) throw new UserError('trace needs --to ADDRESS[:PORT]', 'e.g. sudo lablb trace floating-ip-lb --from ext --to 10.255.253.100:80');
  const m = /^([0-9.]+)(?::(\d{1,5}))?$/.exec(to);
  if (!m || !isIpv4(m[1])) throw new UserError(`--to ${JSON.stringify(to)}: an IPv4 address, with :PORT for TCP`);
  const port = m[2] === undefined ? undefined : Number(m[2]);
  if (port !== undefined && (port < 1 || port > 65_535)) throw new UserError(`--to ${JSON.stringify(to)}: the port is from 1 to 65535`);
  return { address: m[1], ...(port !== undefined ? { port } : {}) };
}

export async function trace(labArg: string | undefined, opts: { from?: string; to?: string; lab?: string }, ctx: CommandContext): Promise<number> {
  if (!opts.from) throw new UserError('trace needs --from NODE', 'e.g. sudo lablb trace floating-ip-lb --from ext --to 10.255.253.100:80');
  const dest = parseDestination(opts.to);
  requireRoot(ctx.host, 'trace');
  for (const tool of ['xtables-monitor', dest.port !== undefined ? 'curl' : 'ping'])
    if (!ctx.host.which(tool)) throw new UserError(`trace needs ${tool}, which is not installed`, 'sudo lablb doctor --fix installs what lablb needs');
  const lab = labWithNode(opts.from, labArg ?? opts.lab);
  if (lab.hosts) throw new UserError(`lab ${lab.name} has several hosts: trace follows one switch, and does not cross tunnels yet`);
  const req: TraceRequest = {
    from: opts.from,
    to: dest.address,
    ...(dest.port !== undefined ? { port: dest.port } : {}),
    sport: SPORT_FROM + Math.floor(Math.random() * SPORT_SPAN),
  };
  const what = dest.port !== undefined ? `a TCP SYN from port ${req.sport} to ${dest.address}:${dest.port}` : `an echo request to ${dest.address}`;
  if (!ctx.json) ctx.out(`Tracing ${what}, from ${opts.from} in lab ${lab.name}`);
  const engine = new Engine(ctx.host, Journal.open(lab.dir), {});
  const result = await tracePacket(lab, req, { host: ctx.host, apply: (ops) => engine.runLane(ops) });
  if (ctx.json) ctx.out(JSON.stringify({ lab: lab.name, from: opts.from, to: dest.address, port: dest.port, sport: req.sport, ...result }));
  else {
    for (const hop of result.hops) {
      ctx.out(hop.title);
      for (const line of hop.lines) ctx.out(`  ${line}`);
    }
    ctx.out(`${result.dropped ? 'NOT DELIVERED' : 'DELIVERED'}: ${result.verdict}`);
  }
  return result.dropped ? EXIT_CHECK_FAILED : EXIT_OK;
}
