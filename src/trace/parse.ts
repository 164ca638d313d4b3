// What the tools say about one packet, read: xtables-monitor's trace (each hook's packet and the
// rules it went through), Open vSwitch's ofproto/trace (each table's matching flow, the drop),
// dpif/show (which port a datapath number is), and ip's routes and neighbours as JSON.

/** A packet as a netfilter hook saw it. */
export interface TracedPacket {
  in?: string;
  out?: string;
  src: string;
  dst: string;
  sport?: number;
  dport?: number;
}

export type TraceEntry =
  | { kind: 'packet'; packet: TracedPacket }
  /** A rule that matched (its verdict: CONTINUE, JUMP:chain, ACCEPT, DROP...) or a chain's policy. */
  | { kind: 'rule'; table: string; chain: string; verdict: string; rule?: string };

const field = (line: string, name: string) => new RegExp(`(?:^| )${name}=(\\S+)`).exec(line)?.[1];

/** `xtables-monitor --trace` lines, in order: one namespace's view of the traced packets. */
export function parseXtablesTrace(text: string): TraceEntry[] {
  const out: TraceEntry[] = [];
  for (const line of text.split('\n')) {
    const packet = /^PACKET: \d+ [0-9a-f]+ (.*)$/.exec(line);
    if (packet) {
      const p = packet[1];
      const num = (n: string) => (field(p, n) === undefined ? undefined : Number(field(p, n)));
      out.push({
        kind: 'packet',
        packet: {
          in: field(p, 'IN'),
          out: field(p, 'OUT'),
          src: field(p, 'SRC') ?? '?',
          dst: field(p, 'DST') ?? '?',
          sport: num('SPORT'),
          dport: num('DPORT'),
        },
      });
      continue;
    }
    // " TRACE: 2 eabfebbc nat:neutron-l3-agent-PREROUTING:rule:0x12:ACCEPT  -4 -t nat -A ... -j DNAT ..."
    const trace = /^ ?TRACE: \d+ [0-9a-f]+ ([^:\s]+):([^:\s]+):(rule|policy|return):(?:0x[0-9a-f]+:)?(\S*)\s*(.*)$/.exec(line);
    if (trace) {
      const [, table, chain, what, verdict, rule] = trace;
      out.push({
        kind: 'rule',
        table,
        chain,
        verdict: what === 'return' ? 'RETURN' : verdict || 'ACCEPT',
        ...(rule ? { rule: rule.replace(/^-4 -t \S+ /, '') } : {}),
      });
    }
  }
  return out;
}

export interface OfTrace {
  /** "br-int 24. arp,in_port=1, priority 1, cookie 0x5ec00011: drop", a line per flow. */
  flows: string[];
  /** The datapath ports it leaves by, after the last recirculation. */
  outputs: number[];
  /** The flow that dropped it: its bridge, table and cookie. */
  drop?: { bridge: string; table: number; cookie?: number; flow: string };
}

/** ofproto/trace's text: each bridge's tables in order, and where the packet ends. */
export function parseOfprotoTrace(text: string): OfTrace {
  const flows: string[] = [];
  let bridge = '?';
  let current: { bridge: string; table: number; cookie?: number; match: string; actions: string[] } | undefined;
  let lastFlow: typeof current;
  const close = () => {
    if (!current) return;
    const cookie = current.cookie !== undefined ? `, cookie 0x${current.cookie.toString(16)}` : '';
    flows.push(`${current.bridge} table ${current.table}: ${current.match}${cookie} -> ${current.actions.join(', ') || '(no action)'}`);
    lastFlow = current;
    current = undefined;
  };
  let datapath = '';
  for (const line of text.split('\n')) {
    const b = /^bridge\("([^"]+)"\)/.exec(line);
    if (b) {
      close();
      bridge = b[1];
      continue;
    }
    const table = /^ *(\d+)\. (.*?)(?:, cookie (0x[0-9a-f]+))?$/.exec(line);
    if (table && !line.startsWith('     ')) {
      close();
      current = { bridge, table: Number(table[1]), match: table[2], ...(table[3] ? { cookie: Number(table[3]) } : {}), actions: [] };
      continue;
    }
    const dp = /^Datapath actions: (.*)$/.exec(line);
    if (dp) {
      close();
      datapath = dp[1];
      continue;
    }
    // An action (indented four), not the trace's own remarks ("-> ...").
    const action = /^ {4}(\S.*)$/.exec(line);
    // ct() forks the packet to recirculate; the "drop" after it is the original's, not a drop.
    if (current && action && !action[1].startsWith('->') && !(action[1] === 'drop' && current.actions.at(-1)?.startsWith('ct(')))
      current.actions.push(action[1]);
  }
  close();
  const outputs = topLevel(datapath).flatMap((a) => (/^\d+$/.test(a) ? [Number(a)] : []));
  const dropped = datapath.trim() === 'drop' || (datapath !== '' && outputs.length === 0 && !/recirc/.test(datapath));
  const dropper = dropped ? lastDropFlow(flows, lastFlow) : undefined;
  return { flows, outputs, ...(dropper ? { drop: dropper } : {}) };
}

/** The flow whose action dropped the packet: the last one seen. */
function lastDropFlow(flows: string[], last: { bridge: string; table: number; cookie?: number; match: string } | undefined): OfTrace['drop'] {
  if (!last) return undefined;
  return { bridge: last.bridge, table: last.table, ...(last.cookie !== undefined ? { cookie: last.cookie } : {}), flow: flows.at(-1)! };
}

/** A datapath action list split at its top-level commas: "ct(commit,zone=1),1" -> ["ct(...)", "1"]. */
function topLevel(actions: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let word = '';
  for (const c of actions) {
    if (c === '(') depth++;
    if (c === ')') depth--;
    if (c === ',' && depth === 0) {
      parts.push(word.trim());
      word = '';
    } else word += c;
  }
  if (word.trim()) parts.push(word.trim());
  return parts;
}

/** `ovs-appctl dpif/show`: each datapath port number's bridge and port name. */
export function parseDpifShow(text: string): Map<number, { bridge: string; port: string }> {
  const out = new Map<number, { bridge: string; port: string }>();
  let bridge: string | undefined;
  for (const line of text.split('\n')) {
    const b = /^ {2}(\S+):$/.exec(line);
    if (b) {
      bridge = b[1];
      continue;
    }
    const p = /^ {4}(\S+) \d+\/(\d+):/.exec(line);
    if (p && bridge) out.set(Number(p[2]), { bridge, port: p[1] });
  }
  return out;
}

export interface Route {
  dev: string;
  gateway?: string;
  prefsrc?: string;
  /** local: the address is the node's own. */
  type?: string;
}

/** `ip -j route get` as JSON, or the error ip printed. */
export function parseRouteGet(stdout: string): Route | undefined {
  try {
    const [r] = JSON.parse(stdout) as { dev?: string; gateway?: string; prefsrc?: string; type?: string }[];
    return r?.dev
      ? { dev: r.dev, ...(r.gateway ? { gateway: r.gateway } : {}), ...(r.prefsrc ? { prefsrc: r.prefsrc } : {}), ...(r.type ? { type: r.type } : {}) }
      : undefined;
  } catch {
    return undefined;
  }
}

/** `ip -j neigh show to ADDR dev DEV`: its MAC and state, if it has an entry. */
export function parseNeighbour(stdout: string): { mac?: string; state: string } | undefined {
  try {
    const [n] = JSON.parse(stdout) as { lladdr?: string; state?: string[] }[];
    return n ? { ...(n.lladdr ? { mac: n.lladdr } : {}), state: (n.state ?? ['NONE']).join(',') } : undefined;
  } catch {
    return undefined;
  }
}
