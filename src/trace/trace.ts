// One packet's path through a running lab, explained. A real packet is sent (a TCP SYN from a
// source port of its own, or an echo request), and every node's netfilter traces it: a TRACE
// rule in each namespace's raw table (journaled with its undo) and `xtables-monitor --trace`
// there name each rule it went through, its NAT and the device it left by. Between nodes, the
// switch's own ofproto/trace names each flow of each bridge for that packet, and the drop when
// a flow drops it (port security's tables 24, 25, 61, 81/82 by their cookies). A next hop that
// never answered ARP is explained by tracing its holders' ARP reply the same way.
import type { HostDriver, PipedChild } from '../host.js';
import type { Op } from '../kinds/ops.js';
import type { Lab, LabNode, LabPort } from '../model.js';
import { onSwitch } from '../plan/plan.js';
import { runtimeOf } from '../runtime/all.js';
import { DROP_SAID, parseDropCookie } from '../security/flows.js';
import { TOKEN_VAR } from '../token.js';
import { parseDpifShow, parseNeighbour, parseOfprotoTrace, parseRouteGet, parseXtablesTrace, type TraceEntry, type TracedPacket } from './parse.js';

export interface TraceRequest {
  from: string;
  to: string;
  /** TCP to this port; without it, an echo request. */
  port?: number;
  /** The TCP source port that tags the packet in every namespace. */
  sport: number;
}

export interface TraceHop {
  title: string;
  lines: string[];
}

export interface TraceResult {
  hops: TraceHop[];
  /** Where it ended: delivered to a node, or dropped and by what. */
  verdict: string;
  dropped: boolean;
}

/** What the trace does to the lab and with it: apply journaled ops, and run commands. */
export interface TraceDeps {
  host: HostDriver;
  apply(ops: Op[]): Promise<void>;
}

/** At most this many nodes a packet goes through before the trace gives up (a loop). */
const MAX_HOPS = 12;
/** xtables-monitor needs a moment to listen before the packet is sent. */
const LISTEN_MS = 400;
/** ...and the last namespace a moment to print after. */
const SETTLE_MS = 600;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The raw table's TRACE rules that tag the packet in a node, each with its undo. */
export function traceRuleOps(node: LabNode, req: TraceRequest): Op[] {
  const match = req.port !== undefined ? ['-p', 'tcp', '--sport', String(req.sport), '--syn'] : ['-p', 'icmp', '--icmp-type', 'echo-request'];
  const rule = (chain: string, op: '-I' | '-D') =>
    runtimeOf(node).inNetwork(node, ['iptables', '-w', '-t', 'raw', op, chain, ...(op === '-I' ? ['1'] : []), ...match, '-j', 'TRACE']);
  return ['PREROUTING', 'OUTPUT'].map((chain) => ({
    kind: 'run' as const,
    argv: rule(chain, '-I'),
    undo: {
      id: `trace-${req.sport}:${node.name}:${chain}`,
      what: `${node.name} without the trace's ${chain} rule`,
      argv: rule(chain, '-D'),
      member: node.name,
    },
  }));
}

/** The command that sends the packet from `from`: curl's telnet:// for a bare TCP connection
 *  from a chosen source port (it says "Connected to" once the handshake is done), or one ping. */
export function senderArgv(from: LabNode, req: TraceRequest): string[] {
  const argv =
    req.port !== undefined
      ? ['curl', '-sv', '--max-time', '2', '--local-port', String(req.sport), `telnet://${req.to}:${req.port}`]
      : ['ping', '-n', '-c', '1', '-W', '2', req.to];
  return runtimeOf(from).inNetwork(from, argv);
}

function portOfDevice(node: LabNode, dev: string): LabPort | undefined {
  return node.ports.find((p) => p.name === dev);
}

/** The node and port a bridge port belongs to. */
function ownerOf(lab: Lab, bridgePort: string): { node: LabNode; port: LabPort } | undefined {
  for (const node of lab.nodes) for (const port of node.ports) if (port.bridgePort === bridgePort) return { node, port };
  return undefined;
}

/** A rule as the trace shows it: the table and chain, what matched, and what it did. */
function ruleLine(e: Extract<TraceEntry, { kind: 'rule' }>): string {
  const what = e.rule ? e.rule.replace(/^-A \S+ ?/, '') || '(every packet)' : 'policy';
  return `${e.table} ${e.chain}: ${what} -> ${e.verdict}`;
}

const DROPPING = /^(DROP|REJECT)/;

export async function tracePacket(lab: Lab, req: TraceRequest, deps: TraceDeps): Promise<TraceResult> {
  const { host } = deps;
  const from = lab.nodes.find((n) => n.name === req.from)!;
  const inNode = (node: LabNode, argv: string[]) => host.run(runtimeOf(node).inNetwork(node, argv), { allowFailure: true, timeoutMs: 10_000 });
  const inSwitch = (argv: string[]) => {
    const sw = onSwitch(lab.switch, argv);
    return host.run(sw.argv, { env: sw.env, allowFailure: true, timeoutMs: 10_000 });
  };

  // Tag the packet everywhere, listen everywhere, send it, and take the tags off again.
  const ops = lab.nodes.flatMap((n) => traceRuleOps(n, req));
  const seen = new Map<string, string[]>();
  const monitors: PipedChild[] = [];
  let sent = { stdout: '', stderr: '', exitCode: 1 };
  try {
    await deps.apply(ops);
    for (const n of lab.nodes) {
      const lines: string[] = [];
      seen.set(n.name, lines);
      // Tagged with the lab's token: a monitor a crash left behind is stopped by down or clean.
      const child = host.spawnPiped(runtimeOf(n).inNetwork(n, ['xtables-monitor', '--trace']), {
        env: { [TOKEN_VAR]: `${lab.name}/${n.name}/trace-${req.sport}` },
      });
      child.onLine((l) => lines.push(l));
      monitors.push(child);
    }
    await sleep(LISTEN_MS);
    sent = await host.run(senderArgv(from, req), {
      allowFailure: true,
      timeoutMs: 10_000,
      env: { [TOKEN_VAR]: `${lab.name}/${from.name}/trace-${req.sport}` },
    });
    await sleep(SETTLE_MS);
  } finally {
    for (const m of monitors) m.stop();
    await deps.apply(ops.flatMap((op): Op[] => (op.kind === 'run' && op.undo ? [{ kind: 'run', argv: op.undo.argv, settles: op.undo.id }] : [])));
  }
  const answered = req.port !== undefined ? /Connected to /.test(sent.stderr) : sent.exitCode === 0;
  const traces = new Map([...seen].map(([name, lines]) => [name, parseXtablesTrace(lines.join('\n'))]));

  const dpPorts = parseDpifShow((await inSwitch(['ovs-appctl', 'dpif/show'])).stdout);
  const hops: TraceHop[] = [];
  let node = from;
  let inDev: string | undefined;
  let packet: TracedPacket = { src: '', dst: req.to, sport: req.port !== undefined ? req.sport : undefined, dport: req.port };
  const visited = new Set<string>();

  for (let i = 0; i < MAX_HOPS; i++) {
    const lines: string[] = [];
    const hop = { title: inDev ? `${node.name} (arrives on ${inDev})` : `${node.name} (sends it)`, lines };
    hops.push(hop);
    if (visited.has(`${node.name}/${inDev}`)) return { hops, verdict: `a loop: back at ${node.name}`, dropped: true };
    visited.add(`${node.name}/${inDev}`);
    // Netfilter's view: the rules it went through, and the packet as the last hook saw it.
    const entries = (traces.get(node.name) ?? []).filter((e) => e.kind === 'packet' || !/-j TRACE$/.test(e.rule ?? ''));
    for (const e of entries) {
      if (e.kind === 'packet') packet = { ...packet, ...e.packet };
      else lines.push(`iptables ${ruleLine(e)}`);
    }
    const dropRule = entries.find((e): e is Extract<TraceEntry, { kind: 'rule' }> => e.kind === 'rule' && DROPPING.test(e.verdict));
    if (dropRule) return { hops, verdict: `dropped in ${node.name} by iptables: ${ruleLine(dropRule)}`, dropped: true };
    if (!entries.some((e) => e.kind === 'packet') && inDev) lines.push('iptables: no rule of this node saw it (its netfilter has no chains there)');
    // Routing sees the destination NAT; the source NAT happens as the packet leaves (the last
    // hook saw it before), so the rules say both.
    const nat = entries.filter((e): e is Extract<TraceEntry, { kind: 'rule' }> => e.kind === 'rule' && /-j (DNAT|SNAT|REDIRECT|MASQUERADE)/.test(e.rule ?? ''));
    const sourceNat = nat.filter((e) => /-j (SNAT|MASQUERADE)/.test(e.rule!));
    for (const e of nat) if (!sourceNat.includes(e)) packet = natted(packet, e.rule!);

    // Delivered: the address is the node's own.
    const route = parseRouteGet(
      (await inNode(node, ['ip', '-j', 'route', 'get', packet.dst, ...(inDev && packet.src ? ['from', packet.src, 'iif', inDev] : [])])).stdout,
    );
    if (route?.type === 'local' || (route && route.dev === 'lo')) {
      lines.push(`${packet.dst} is ${node.name}'s own address: delivered`);
      if (answered)
        return { hops, verdict: `delivered to ${node.name}, and ${req.port !== undefined ? 'the connection was made' : 'it answered'}`, dropped: false };
      return { hops, ...(await unanswered(node, inDev)) };
    }
    if (!route) {
      const why = (await inNode(node, ['ip', 'route', 'get', packet.dst])).stderr.trim();
      return { hops, verdict: `dropped in ${node.name}: no route to ${packet.dst}${why ? ` (${why})` : ''}`, dropped: true };
    }
    for (const e of sourceNat) packet = /MASQUERADE/.test(e.rule!) ? { ...packet, src: route.prefsrc ?? packet.src } : natted(packet, e.rule!);
    if (nat.length) lines.push(`after NAT: ${packet.src} -> ${packet.dst}${packet.dport !== undefined ? `:${packet.dport}` : ''}`);
    const nextHop = route.gateway ?? packet.dst;
    if (!packet.src) packet = { ...packet, src: route.prefsrc ?? '' };
    lines.push(
      `route: ${packet.dst} ${route.gateway ? `via ${route.gateway} ` : ''}dev ${route.dev}${route.prefsrc && !inDev ? `, from ${route.prefsrc}` : ''}`,
    );
    const port = portOfDevice(node, route.dev);
    if (!port) return { hops, verdict: `leaves ${node.name} by ${route.dev}, which is no port of the lab`, dropped: true };
    const neighbour = parseNeighbour((await inNode(node, ['ip', '-j', 'neigh', 'show', 'to', nextHop, 'dev', route.dev])).stdout);
    const mac = await macOf(node, route.dev);
    if (!neighbour?.mac) {
      lines.push(`ARP for ${nextHop} on ${route.dev}: no answer (${neighbour?.state ?? 'no entry'})`);
      return { hops, ...(await arpUnanswered(nextHop, port, mac)) };
    }
    lines.push(`next hop ${nextHop} is ${neighbour.mac} (${neighbour.state})`);
    const flow = flowOf(port.bridgePort, mac, neighbour.mac, packet, req);
    const of = parseOfprotoTrace((await inSwitch(['ovs-appctl', 'ofproto/trace', bridgeOf(lab, port), flow])).stdout);
    const switchHop: TraceHop = { title: `${bridgeOf(lab, port)} (from ${port.bridgePort})`, lines: of.flows };
    hops.push(switchHop);
    if (of.drop) return { hops, verdict: dropVerdict(of.drop, lab), dropped: true };
    const outs = of.outputs.map((n) => dpPorts.get(n)).filter((p): p is { bridge: string; port: string } => p !== undefined);
    // Flooded: the port whose node saw the packet, or the one holding the next hop.
    const owners = outs.map((o) => ownerOf(lab, o.port)).filter((o): o is { node: LabNode; port: LabPort } => o !== undefined);
    switchHop.lines.push(`out: ${outs.map((o) => o.port).join(', ') || 'nowhere'}`);
    const next = owners.find((o) => traces.get(o.node.name)?.some((e) => e.kind === 'packet')) ?? owners.find((o) => o.port.address === nextHop) ?? owners[0];
    if (!next) return { hops, verdict: `the switch sent it nowhere a node of the lab listens`, dropped: true };
    node = next.node;
    inDev = next.port.name;
  }
  return { hops, verdict: `more than ${MAX_HOPS} hops: given up`, dropped: true };

  /** Delivered but not answered: the answer's way back, traced from the node's port. */
  async function unanswered(at: LabNode, dev: string | undefined): Promise<Omit<TraceResult, 'hops'>> {
    const port = dev ? portOfDevice(at, dev) : undefined;
    const what = req.port !== undefined ? 'no connection was made' : 'no echo reply came back';
    if (!port) return { verdict: `delivered to ${at.name}, but ${what}`, dropped: true };
    const back = await inNode(at, ['ip', '-j', 'neigh', 'show', 'to', packet.src, 'dev', port.name]);
    const peer = parseNeighbour(back.stdout)?.mac ?? '00:00:00:00:00:00';
    const reply: TracedPacket = { src: packet.dst, dst: packet.src, sport: packet.dport, dport: packet.sport };
    const of = parseOfprotoTrace(
      (await inSwitch(['ovs-appctl', 'ofproto/trace', bridgeOf(lab, port), flowOf(port.bridgePort, await macOf(at, port.name), peer, reply, req, true)]))
        .stdout,
    );
    hops.push({ title: `${bridgeOf(lab, port)} (the answer, from ${port.bridgePort})`, lines: of.flows });
    if (of.drop) return { verdict: `delivered to ${at.name}, but its answer was ${dropVerdict(of.drop, lab)}`, dropped: true };
    if (/refused/i.test(sent.stderr))
      return { verdict: `delivered to ${at.name}, which refused it: nothing listens on ${packet.dst}:${packet.dport}`, dropped: true };
    return { verdict: `delivered to ${at.name}, but ${what}, though its answer passes the switch`, dropped: true };
  }

  /** Nobody answered ARP: who holds the address, and what happened to their replies. */
  async function arpUnanswered(address: string, asker: LabPort, askerMac: string): Promise<Omit<TraceResult, 'hops'>> {
    const holders: { node: LabNode; port: LabPort }[] = [];
    // Only a node with a port on the asker's network could answer: the others are not asked.
    for (const n of lab.nodes.filter((x) => x.ports.some((p) => p.network === asker.network))) {
      const addrs = JSON.parse((await inNode(n, ['ip', '-j', '-4', 'addr', 'show'])).stdout || '[]') as { ifname: string; addr_info: { local: string }[] }[];
      for (const a of addrs) {
        const p = portOfDevice(n, a.ifname);
        if (p && p.network === asker.network && a.addr_info.some((i) => i.local === address)) holders.push({ node: n, port: p });
      }
    }
    if (holders.length === 0) return { verdict: `dropped: no node on ${asker.network} holds ${address}, so nobody answers its ARP`, dropped: true };
    const verdicts: string[] = [];
    for (const h of holders) {
      const mac = await macOf(h.node, h.port.name);
      const flow = `in_port=${h.port.bridgePort},arp,dl_src=${mac},dl_dst=${askerMac},arp_op=2,arp_spa=${address},arp_tpa=${asker.address},arp_sha=${mac}`;
      const of = parseOfprotoTrace((await inSwitch(['ovs-appctl', 'ofproto/trace', bridgeOf(lab, h.port), flow])).stdout);
      hops.push({ title: `${bridgeOf(lab, h.port)} (${h.node.name}'s ARP reply for ${address}, from ${h.port.bridgePort})`, lines: of.flows });
      verdicts.push(of.drop ? `${h.node.name}'s ${dropVerdict(of.drop, lab)}` : `${h.node.name}'s passes`);
    }
    const allDropped = verdicts.every((v) => !v.endsWith('passes'));
    return {
      verdict: `the ARP reply for ${address}: ${verdicts.join('; ')}${allDropped ? '' : ' (so it was not asked in time, or the answer was lost)'}`,
      dropped: true,
    };
  }

  async function macOf(n: LabNode, dev: string): Promise<string> {
    const [link] = JSON.parse((await inNode(n, ['ip', '-j', 'link', 'show', dev])).stdout || '[{}]') as { address?: string }[];
    return link?.address ?? '00:00:00:00:00:00';
  }
}

/** The packet after a NAT rule that matched: SNAT's source, DNAT's destination (and port). */
export function natted(p: TracedPacket, rule: string): TracedPacket {
  const to = /--to-(source|destination) ([0-9.]+)(?::(\d+))?/.exec(rule);
  if (!to) return p;
  if (to[1] === 'source') return { ...p, src: to[2], ...(to[3] ? { sport: Number(to[3]) } : {}) };
  return { ...p, dst: to[2], ...(to[3] ? { dport: Number(to[3]) } : {}) };
}

function bridgeOf(lab: Lab, port: LabPort): string {
  return lab.networks.find((n) => n.name === port.network)?.bridge ?? 'br-int';
}

/** The packet as ofproto/trace takes it, entering the switch at a port. */
export function flowOf(bridgePort: string, src: string, dst: string, p: TracedPacket, req: TraceRequest, reply = false): string {
  const l4 =
    req.port !== undefined
      ? `tcp,tp_src=${p.sport ?? req.sport},tp_dst=${p.dport ?? req.port},tcp_flags=${reply ? 'syn|ack' : 'syn'}`
      : `icmp,icmp_type=${reply ? 0 : 8},icmp_code=0`;
  return `in_port=${bridgePort},${l4},dl_src=${src},dl_dst=${dst},nw_src=${p.src},nw_dst=${p.dst},nw_ttl=64`;
}

/** A drop flow in words: port security's by its cookie, another by its table. */
export function dropVerdict(drop: { bridge: string; table: number; cookie?: number; flow: string }, lab: Lab): string {
  const security = drop.cookie !== undefined ? parseDropCookie(drop.cookie) : undefined;
  // The cookie's port index counts the lab's ports from 1, as the flows were written.
  const port = security ? lab.nodes.flatMap((n) => n.ports.map((p) => `${n.name}/${p.name}`))[security.portIndex - 1] : undefined;
  const why = security ? `: ${DROP_SAID[security.reason]}, the drop flow of ${port ?? 'a port'}'s port security (cookie 0x${drop.cookie!.toString(16)})` : '';
  return `dropped on ${drop.bridge} in table ${drop.table}${why}`;
}
