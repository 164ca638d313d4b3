// The live screen: panels laid out for the terminal's size, keys mapped to store actions.
import { Box, render, useInput, useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { Details, Events, Experiment, Footer, Header, Help, RowsPanel, Topology, Traffic } from './panels.js';
import type { LiveStore } from './store.js';
import type { LabView } from './view.js';

/** `kinds`: the panels kinds have of their own (a router's NAT counters), stacked. */
export type PanelId = 'topology' | 'services' | 'kinds' | 'traffic' | 'experiment' | 'events';

export interface Layout {
  /** Side by side: topology | services and the kinds' panels above, experiment | events below. */
  wide: boolean;
  /** Panels shown, with their heights; the rest do not fit and are left out. */
  heights: Partial<Record<PanelId, number>>;
}

/** Heights for every panel, so the frame is exactly `rows` high: a frame that keeps its height
 *  redraws cleanly, one that outgrows the terminal scrolls. On a small terminal the least
 *  important panels are left out, never squeezed. */
export function layout(view: LabView, columns: number, rows: number): Layout {
  const { lab } = view;
  const [shared, ...own] = view.panels;
  const natural: Record<PanelId, number> = {
    // A port under port security takes a second line for its groups, pairs and drops.
    topology: view.help
      ? 8
      : view.details
        ? 12
        : 3 + lab.switch.bridges.length + lab.nodes.reduce((n, node) => n + node.ports.length, 0) + Object.keys(view.security).length,
    services: 3 + Math.max(1, shared.rows.length),
    kinds: own.reduce((n, p) => n + 3 + p.rows.length, 0),
    traffic: lab.experiment?.probes.length && (view.mode === 'run' || view.traffic) ? 6 : 0,
    experiment: view.steps.length ? 3 + view.steps.length : 0,
    events: 5,
  };
  const body = rows - 2; // header and footer
  if (columns >= 100) {
    const top = Math.max(natural.topology, natural.services + natural.kinds);
    const bottom = body - top - natural.traffic;
    if (bottom >= Math.max(5, natural.experiment)) {
      return {
        wide: true,
        heights: {
          topology: top,
          services: natural.services,
          kinds: natural.kinds || undefined,
          traffic: natural.traffic || undefined,
          experiment: natural.experiment ? bottom : undefined,
          events: bottom,
        },
      };
    }
  }
  // Stacked: the most important panels first, each at its natural height; events take the rest.
  const heights: Layout['heights'] = {};
  let left = body - natural.events;
  for (const id of ['services', 'traffic', 'experiment', 'kinds', 'topology'] as const) {
    if (natural[id] > 0 && natural[id] <= left) {
      heights[id] = natural[id];
      left -= natural[id];
    }
  }
  heights.events = left + natural.events;
  return { wide: false, heights };
}

export function Screen({ view, columns, rows }: { view: LabView; columns: number; rows: number }) {
  const { wide, heights: h } = layout(view, columns, rows);
  const topology = h.topology ? (
    view.help ? (
      <Help mode={view.mode} height={h.topology} />
    ) : view.details ? (
      <Details view={view} height={h.topology} />
    ) : (
      <Topology view={view} height={h.topology} width={wide ? Math.floor(columns * 0.52) : undefined} />
    )
  ) : null;
  const services = h.services ? <RowsPanel panel={view.panels[0]} height={h.services} /> : null;
  // The kinds' own panels, each at its natural height: the layout gave them their sum.
  const kindPanels = h.kinds ? view.panels.slice(1).map((p) => <RowsPanel key={p.title} panel={p} height={3 + p.rows.length} />) : null;
  const traffic = h.traffic ? <Traffic view={view} width={columns - 4} height={h.traffic} /> : null;
  const experiment = h.experiment ? <Experiment view={view} height={h.experiment} /> : null;
  const events = h.events ? <Events events={view.events} height={h.events} /> : null;
  return (
    <Box flexDirection="column" width={columns} height={rows}>
      <Header view={view} width={columns} />
      {wide ? (
        <>
          <Box flexDirection="row" height={h.topology}>
            {topology}
            <Box flexDirection="column" flexGrow={1} flexBasis={0}>
              {services}
              {kindPanels}
            </Box>
          </Box>
          {traffic}
          <Box flexDirection="row" height={h.events}>
            {experiment}
            {events}
          </Box>
        </>
      ) : (
        <>
          {topology}
          {services}
          {kindPanels}
          {traffic}
          {experiment}
          {events}
        </>
      )}
      <Footer view={view} />
    </Box>
  );
}

function useTerminalSize(): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const [size, setSize] = useState({ columns: stdout.columns || 120, rows: stdout.rows || 40 });
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 120, rows: stdout.rows || 40 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  return size;
}

export function App({ store, onQuit }: { store: LiveStore; onQuit: () => void }) {
  const view = useSyncExternalStore(store.subscribe, store.getSnapshot);
  const { columns, rows } = useTerminalSize();
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
    else if (input === '?') store.toggleHelp();
    else if (key.escape) store.closeDetails();
    else if (key.return) void store.toggleDetails();
    else if ((key.tab && !key.shift) || key.rightArrow || key.downArrow) store.moveSelection(1);
    else if ((key.tab && key.shift) || key.leftArrow || key.upArrow) store.moveSelection(-1);
  });
  // Exactly the terminal's height: ink then redraws the whole screen from its top, in one
  // synchronized write where the terminal supports it, and no line can be left behind.
  return <Screen view={view} columns={columns} rows={rows} />;
}

export interface Tui {
  /** Closes the screen; returns how many frames were drawn and how long they took. */
  close(): FrameStats;
}

export interface FrameStats {
  frames: number;
  renderMs: number;
  seconds: number;
}

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/** Draws the live screen on the terminal's alternate screen until close() (as full-screen
 *  tools do: the person's scrollback is back untouched afterwards). Ctrl-C and q call onQuit. */
export function startTui(store: LiveStore, onQuit: () => void): Tui {
  process.stdout.write(ALT_SCREEN_ON);
  const restore = () => process.stdout.write(ALT_SCREEN_OFF);
  process.once('exit', restore);
  const stats: FrameStats = { frames: 0, renderMs: 0, seconds: 0 };
  const opened = performance.now();
  const instance = render(<App store={store} onQuit={onQuit} />, {
    onRender: ({ renderTime }) => {
      stats.frames++;
      stats.renderMs += renderTime;
    },
    exitOnCtrlC: false,
    patchConsole: false,
    maxFps: 10,
    // Redraws only the lines that changed: no flicker at 2+ refreshes a second.
    incrementalRendering: true,
  });
  return {
    close: () => {
      instance.unmount();
      instance.cleanup();
      process.off('exit', restore);
      restore();
      return { ...stats, seconds: (performance.now() - opened) / 1000 };
    },
  };
}
