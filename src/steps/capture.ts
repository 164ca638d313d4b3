// A capture step: tcpdump on a node's port from this step to the end of the run, into a pcap in
// the node's dir (a journaled process, ended at teardown like any other). When the run ends,
// before the lab goes, the capture is stopped and read back: its packets, decoded, become a
// `capture` event on the events' clock, for the line reporter, --json and the run's report
// (which keeps the pcap beside itself). Seed 002's story is in such a pcap: the VRRP adverts,
// who stops sending them, and the new MASTER's gratuitous ARPs.
import { join } from 'node:path';
import { z } from 'zod';
import { Line, PortRef } from '../kinds/fields.js';
import type { Op } from '../kinds/ops.js';
import type { StepContext } from '../kinds/step-kind.js';
import { FILTER_WORD_RULE, filterWordsOf } from '../net/bpf.js';
import { runtimeOf } from '../runtime/all.js';
import { TOKEN_VAR } from '../token.js';
import { actionStep } from './action-step.js';

export interface CaptureAction {
  name: string;
  node: string;
  port: string;
  filter: string[];
  maxPackets: number;
  /** The pcap, in the node's dir. */
  file: string;
  token: string;
}

/** At most this many packets decoded into the event (the pcap keeps them all). */
export const CAPTURE_EVENT_LINES = 500;

const tcpdumpArgv = (a: CaptureAction) =>
  // -Z root: tcpdump would drop to its own user, who cannot write in the lab's dir; -U writes
  // each packet as it comes, so a run that ends early still has them.
  ['tcpdump', '-i', a.port, '-n', '-U', '-Z', 'root', '-c', String(a.maxPackets), '-w', a.file, '--', ...a.filter];

/** "1733380000.123456 IP 10.0.0.1 > 224.0.0.18: VRRPv2..." -> its time on the events' clock. */
export function decodedLines(text: string, startedAt: number): { at_ms: number; text: string }[] {
  return text.split('\n').flatMap((line) => {
    const m = /^(\d+)\.(\d{6}) (.*)$/.exec(line);
    return m ? [{ at_ms: Number(m[1]) * 1000 + Math.floor(Number(m[2]) / 1000) - startedAt, text: m[3] }] : [];
  });
}

async function finishCapture(a: CaptureAction, ctx: StepContext): Promise<void> {
  await ctx.apply([{ kind: 'stop', token: a.token, graceMs: 2000, what: `the capture on ${a.node}/${a.port}` }]);
  if (!ctx.host.exists(a.file)) return;
  const read = await ctx.host.run(['tcpdump', '-r', a.file, '-n', '-tt', '-e'], { allowFailure: true, timeoutMs: 30_000 });
  const lines = decodedLines(read.stdout, ctx.startedAt);
  ctx.emit({ type: 'capture', name: a.name, port: `${a.node}/${a.port}`, file: a.file, packets: lines.length, lines: lines.slice(0, CAPTURE_EVENT_LINES) });
}

export const capture = actionStep({
  kind: 'capture',
  description: "Capture packets on a node's port from now to the end of the run (tcpdump, into a pcap): read back as the run ends, for its events and report",
  fields: {
    port: PortRef.describe('the port, as node/port'),
    filter: Line(512).optional().describe('a tcpdump filter expression, e.g. "vrrp or arp" (words of BPF only)'),
    max_packets: z.int().min(1).max(100_000).default(10_000).describe('tcpdump stops after this many packets'),
  },
  example: '{ name: watch-vrrp, kind: capture, port: lb2/eth0, filter: "vrrp or arp" }',
  tools: [{ command: 'tcpdump', pkg: 'tcpdump', versionArgs: ['--version'], why: 'capture steps and lablb capture' }],
  resolveAction(b, ctx): CaptureAction {
    ctx.port(b.port, ['port']);
    const [node, port] = b.port.split('/');
    const { words, bad } = filterWordsOf(b.filter ?? '');
    if (bad !== undefined) ctx.report(['filter'], `${JSON.stringify(bad)} is not a word of a tcpdump filter (${FILTER_WORD_RULE})`);
    const dir = ctx.lab.nodes.find((n) => n.name === node)?.dir ?? ctx.lab.dir;
    return {
      name: b.name,
      node,
      port,
      filter: words,
      maxPackets: b.max_packets,
      file: join(dir, `capture-${b.name}.pcap`),
      token: `${ctx.lab.name}/${node}/capture-${b.name}`,
    };
  },
  ops: (a, lab): Op[] => {
    const node = lab.nodes.find((n) => n.name === a.node)!;
    return [
      {
        kind: 'spawn',
        argv: runtimeOf(node).inNetwork(node, tcpdumpArgv(a)),
        env: { [TOKEN_VAR]: a.token },
        logfile: `${a.file}.log`,
        creates: [{ kind: 'process', name: `${a.node}/capture-${a.name}`, token: a.token }],
      },
      // tcpdump writes the pcap's header once it listens: from then on nothing is missed.
      { kind: 'wait-path', path: a.file, timeoutMs: 5000, what: `tcpdump listening on ${a.node}/${a.port}` },
    ];
  },
  done: (a) => `capturing on ${a.node}/${a.port}${a.filter.length ? ` (${a.filter.join(' ')})` : ''} until the run ends`,
  finish: finishCapture,
});
