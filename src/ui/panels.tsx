// The panels of the live screen. Each renders part of a LabView and nothing else.
import { Box, Text } from 'ink';
import { cellText, type Cell, type Tone as CellTone } from '../kinds/service-kind.js';
import type { LabPort } from '../model.js';
import type { PortSecurityFact } from '../kinds/facts.js';
import type { RowPanel } from '../observe/snapshot.js';
import { clock, sparkline, type EventLine, type LabView, type StepView, type Tone } from './view.js';

const TONE: Record<Tone, string | undefined> = { info: undefined, good: 'green', bad: 'red' };

/** How a kind's cell tones are painted. */
const CELL: Record<CellTone, { color?: string; bold?: boolean }> = {
  plain: {},
  bold: { bold: true },
  dim: { color: 'gray' },
  good: { color: 'green', bold: true },
  bad: { color: 'red', bold: true },
  warn: { color: 'yellow', bold: true },
  accent: { color: 'magenta' },
};

function CellText({ cell }: { cell: Cell }) {
  const style = CELL[cell.tone ?? 'plain'];
  return (
    <Text color={style.color} bold={style.bold}>
      {cellText(cell)}
    </Text>
  );
}

export function Panel(props: { title: string; width?: number | string; height?: number; grow?: number; children: React.ReactNode }) {
  // flexShrink 0: a panel keeps the height the layout gave it; the layout leaves out what does
  // not fit. flexBasis 0: a growing panel's width comes from the room left, not its text.
  // No overflow clipping: ink would then re-slice every line of the box on every frame (the
  // screen's main CPU cost); instead each panel draws no more lines than its height holds and
  // every line truncates itself.
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      paddingX={1}
      width={props.width}
      height={props.height}
      flexGrow={props.grow}
      flexBasis={props.grow ? 0 : undefined}
      flexShrink={0}
    >
      <Text bold color="cyan">
        {props.title}
      </Text>
      {props.children}
    </Box>
  );
}

export function Header({ view, width }: { view: LabView; width: number }) {
  const { lab } = view;
  const running = view.steps.findIndex((s) => s.status === 'running');
  const state =
    view.phase === 'building'
      ? `building ${view.build.started}/${view.build.total}`
      : view.phase === 'experiment' && running >= 0
        ? `step ${running + 1}/${view.steps.length}: ${view.steps[running].name}`
        : view.summary
          ? `${view.summary.passed}/${view.summary.total} checks passed`
          : view.phase === 'ready'
            ? view.mode === 'watch'
              ? 'watching'
              : 'up'
            : view.phase;
  const elapsed = clock(view.now).slice(0, 5); // whole seconds: the store redraws on change
  const right = `${state}  ${view.datapath ? `${view.datapath} · ` : ''}${elapsed}`;
  // Exactly one line: the title gives way first.
  const room = width - 2 - right.length - `lablb ${lab.name} `.length - 2;
  const title = lab.title && room > 8 ? (lab.title.length > room ? `${lab.title.slice(0, room - 1)}…` : lab.title) : '';
  return (
    <Box justifyContent="space-between" paddingX={1} height={1}>
      <Text wrap="truncate">
        <Text bold>lablb</Text> <Text color="cyan">{lab.name}</Text>
        {title ? <Text color="gray"> {title}</Text> : null}
      </Text>
      <Text wrap="truncate">
        <Text color={view.summary ? (view.summary.ok ? 'green' : 'red') : 'yellow'}>{state}</Text>
        <Text color="gray">
          {' '}
          {view.datapath ? `${view.datapath} · ` : ''}
          {elapsed}
        </Text>
      </Text>
    </Box>
  );
}

/** The addresses a node holds beyond its ports' own: floating IPs, VIPs that moved to it. */
/** Addresses a port holds besides its own (a VIP, floating IPs), as the node reports them. */
function extraAddresses(view: LabView, node: string, ports: LabPort[], dev: string): string[] {
  const own = new Set(ports.map((p) => p.address));
  return (view.addresses[node] ?? [])
    .filter((a) => a.dev === dev)
    .map((a) => a.address.split('/')[0])
    .filter((a) => !own.has(a));
}

/** The topology's sections: each bridge, or in a lab of hosts each host's bridges with ports. */
function bridgeSections(lab: LabView['lab']): { key: string; title: string; br: string; host?: string }[] {
  if (!lab.hosts) return lab.switch.bridges.map((br) => ({ key: br, title: br, br }));
  return lab.hosts.list.flatMap((h) =>
    h.switch.bridges
      .filter((br) => lab.nodes.some((n) => n.host === h.name && n.ports.some((p) => p.bridge === br)))
      .map((br) => ({ key: `${h.name}/${br}`, title: `${h.name} (${h.role}, ${h.localIp}) ${br}`, br, host: h.name })),
  );
}

export function Topology({ view, height, width }: { view: LabView; height: number; width?: number }) {
  const { lab } = view;
  const portWidth = Math.max(...lab.nodes.flatMap((n) => n.ports.map((p) => p.bridgePort.length))) + 1;
  const nodeWidth = Math.max(...lab.nodes.map((n) => n.name.length)) + 1;
  const labels = view.labels;
  return (
    <Panel title="Topology" width={width} grow={width ? 0 : 1} height={height}>
      {bridgeSections(lab).map(({ key, title, br, host }) => (
        <Box key={key} flexDirection="column">
          <Text bold>{title}</Text>
          {lab.nodes.flatMap((n) =>
            n.ports
              .filter((p) => p.bridge === br && n.host === host)
              .map((p) => {
                const selected = view.selected === n.name;
                const extra = extraAddresses(view, n.name, n.ports, p.name);
                const security = view.security[`${n.name}/${p.name}`];
                return (
                  <Box key={`${n.name}/${p.name}`} flexDirection="column">
                    <Text inverse={selected} wrap="truncate">
                      <Text color="gray">{p.vlan ? `tag ${p.vlan}` : '     '}</Text> {p.bridgePort.padEnd(portWidth)}
                      <Text color="cyan">{n.name.padEnd(nodeWidth)}</Text>
                      {view.runtimeLabels[n.name] ? <Text color="blue">[{view.runtimeLabels[n.name]}]</Text> : null}
                      {p.type === 'veth' ? ` ${p.name}` : ''} {p.address}/{p.prefix}
                      {labels[p.address] ? <Text color="magenta"> {labels[p.address]}</Text> : null}
                      {extra.length ? <Text color="magenta"> +{extra.join(' +')}</Text> : null}
                    </Text>
                    {security ? (
                      <Text wrap="truncate">
                        {'      '}
                        <PortSecurityText fact={security} />
                      </Text>
                    ) : null}
                  </Box>
                );
              }),
          )}
        </Box>
      ))}
      {view.selected === 'ovs' ? <Text inverse> ovs (the lab's switch: {lab.switch.namespace})</Text> : null}
    </Panel>
  );
}

/** "sg web +pair 172.16.200.251 drop arp 12 in 40" or "no port security". */
function PortSecurityText({ fact }: { fact?: PortSecurityFact }) {
  if (!fact) return null;
  if (!fact.enabled) return <Text color="yellow">no port security</Text>;
  const drops = (
    [
      ['arp-spoof', 'arp'],
      ['ip-spoof', 'spoof'],
      ['ingress', 'in'],
      ['egress', 'out'],
    ] as const
  )
    .filter(([reason]) => fact.drops[reason] > 0)
    .map(([reason, short]) => `${short} ${fact.drops[reason]}`);
  return (
    <Text>
      <Text color="gray">sg {fact.groups.join(',') || '-'}</Text>
      {fact.pairs.length ? <Text color="green"> +pair {fact.pairs.map((x) => x.ip).join(',')}</Text> : null}
      {drops.length ? <Text color="red"> drop {drops.join(' ')}</Text> : null}
    </Text>
  );
}

/** The services panel, or a kind's own: its rows, as the kinds draw them. */
export function RowsPanel({ panel, height }: { panel: RowPanel; height: number }) {
  return (
    <Panel title={panel.title} height={height}>
      {panel.rows.length === 0 ? <Text color="gray">no services with live state</Text> : null}
      {panel.rows.slice(0, Math.max(1, height - 3)).map((row, i) => (
        <Text key={i} wrap="truncate">
          {row.map((cell, j) => (
            <CellText key={j} cell={cell} />
          ))}
        </Text>
      ))}
    </Panel>
  );
}

export function Traffic({ view, width, height }: { view: LabView; width: number; height: number }) {
  const t = view.traffic;
  if (!t)
    return (
      <Panel title="Traffic" height={height}>
        <Text color="gray">the prober starts once the lab is up</Text>
      </Panel>
    );
  const rate = t.recentOkRate === undefined ? '-' : `${(t.recentOkRate * 100).toFixed(1)}%`;
  const spark = t.spark.slice(-Math.max(10, width - 24));
  return (
    <Panel title={`Traffic: ${t.from} -> ${t.url} every ${t.intervalMs} ms`} height={height}>
      <Text wrap="truncate">
        ok (last 5 s){' '}
        <Text bold color={t.recentOkRate === 1 ? 'green' : 'red'}>
          {rate}
        </Text>
        {'  '}p50 {t.p50Ms} ms requests {t.requests} failed <Text color={t.failed ? 'red' : undefined}>{t.failed}</Text>
        {'  '}longest outage {t.longestOutageMs} ms
        {t.lastBody ? <Text color="gray"> last reply {t.lastBody}</Text> : null}
      </Text>
      <Text>
        <Text color={t.spark.some((v) => v === null) ? 'yellow' : 'green'}>{sparkline(spark)}</Text>
        <Text color="gray"> latency, last 30 s</Text>
      </Text>
      {t.outageMs !== undefined ? (
        <Text bold color="red">
          OUTAGE {(t.outageMs / 1000).toFixed(1)} s ({t.lastError})
        </Text>
      ) : (
        <Text color="gray">no outage now</Text>
      )}
    </Panel>
  );
}

const MARK: Record<StepView['status'], [string, string | undefined]> = {
  pending: ['·', 'gray'],
  running: ['▶', 'yellow'],
  pass: ['✔', 'green'],
  fail: ['✘', 'red'],
};

export function Experiment({ view, height }: { view: LabView; height: number }) {
  return (
    <Panel title="Experiment" grow={1} height={height}>
      {view.steps.map((s) => (
        <Text key={s.name} wrap="truncate">
          <Text color={MARK[s.status][1]}>
            {MARK[s.status][0]} {s.name}
          </Text>
          {s.detail ? <Text color="gray"> {s.detail}</Text> : null}
        </Text>
      ))}
    </Panel>
  );
}

export function Events({ events, height }: { events: EventLine[]; height: number }) {
  return (
    <Panel title="Events" grow={1} height={height}>
      {events.slice(-Math.max(1, height - 3)).map((e, i) => (
        <Text key={`${e.at}-${i}`} wrap="truncate">
          <Text color="gray">{clock(e.at)} </Text>
          <Text color={TONE[e.tone]}>{e.text}</Text>
        </Text>
      ))}
    </Panel>
  );
}

export function Details({ view, height }: { view: LabView; height: number }) {
  const d = view.details;
  if (!d) return null;
  // One list of lines, cut to what the panel holds.
  const lines: { text: string; heading?: boolean }[] = [];
  const section = (title: string, items: string[]) => {
    lines.push({ text: title, heading: true }, ...(items.length ? items : ['(none)']).map((l) => ({ text: `  ${l}` })));
  };
  section('addresses', d.addresses);
  section('routes', d.routes);
  if (d.rules.length) section('nat rules', d.rules);
  section('lablb processes', d.processes);
  return (
    <Panel title={`Node ${d.node} (enter or esc to close)`} grow={1} height={height}>
      {lines.slice(0, Math.max(1, height - 3)).map((l, i) => (
        <Text key={i} bold={l.heading} wrap="truncate">
          {l.text}
        </Text>
      ))}
    </Panel>
  );
}

export function Help({ mode, height }: { mode: LabView['mode']; height: number }) {
  return (
    <Panel title="Keys" grow={1} height={height}>
      <Text>q, ctrl-c quit{mode === 'run' ? ' (tears the lab down)' : ' (the lab stays up; sudo lablb down <lab> removes it)'}</Text>
      <Text>tab, →, ↓ select the next node; shift-tab, ←, ↑ the previous one</Text>
      <Text>enter show or hide the selected node's addresses, routes, rules, processes</Text>
      <Text>esc close details and help; ? this help</Text>
    </Panel>
  );
}

export function Footer({ view }: { view: LabView }) {
  return (
    <Box paddingX={1} height={1}>
      <Text color="gray" wrap="truncate">
        q quit · ? help · tab select node{view.selected ? ` (${view.selected})` : ''} · enter details
      </Text>
    </Box>
  );
}
