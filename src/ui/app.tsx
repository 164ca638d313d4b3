// The live screen: panels laid out for the terminal's size, keys mapped to store actions.
import { Box, render, useInput, useStdout } from 'ink';
import { useEffect, useState, useSyncExternalStore } from 'react';
import { Details, Events, Experiment, Footer, Header, Help, Nat, Services, Topology, Traffic } from './panels.js';
import type { LiveStore } from './store.js';
import type { LabView } from './view.js';

/** Rows each part of the screen takes, so the whole frame is exactly `rows` high: a frame that
 *  keeps its height redraws cleanly, one that grows scrolls and leaves stale lines. */
export function layout(view: LabView, columns: number, rows: number) {
  const wide = columns >= 100;
  const { lab } = view;
  const topology = 3 + lab.switch.bridges.length + lab.nodes.reduce((n, node) => n + node.ports.length, 0);
  const lbs = lab.nodes.flatMap((n) => n.services.filter((s) => s.kind === 'haproxy'));
  const services = 3 + Math.max(1, lbs.reduce((n, lb) => n + 1 + (lb.kind === 'haproxy' ? lb.pool.members.length : 0), 0));
  const nat = view.nat.length ? 3 + view.nat.length : 0;
  const right = services + nat;
  const top = view.details || view.help ? Math.max(topology, right, 12) : wide ? Math.max(topology, right) : topology + right;
  const traffic = lab.experiment ? 6 : 0;
  const bottom = Math.max(5, rows - 2 - top - traffic);
  return { wide, top, traffic, bottom, events: Math.max(1, bottom - 3) };
}

export function Screen({ view, columns, rows }: { view: LabView; columns: number; rows: number }) {
  const l = layout(view, columns, rows);
  return (
    <Box flexDirection="column" width={columns} height={rows} overflow="hidden">
      <Header view={view} width={columns} />
      <Box flexDirection={l.wide ? 'row' : 'column'} height={l.top} overflow="hidden">
        {view.help ? <Help mode={view.mode} /> : view.details ? <Details view={view} /> : <Topology view={view} />}
        <Box flexDirection="column" flexGrow={1}>
          <Services view={view} />
          <Nat view={view} />
        </Box>
      </Box>
      {l.traffic ? <Traffic view={view} width={columns - 4} height={l.traffic} /> : null}
      <Box flexDirection={l.wide ? 'row' : 'column'} height={l.bottom} overflow="hidden">
        <Experiment view={view} />
        <Events events={view.events} rows={l.events} />
      </Box>
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
  close(): void;
}

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/** Draws the live screen on the terminal's alternate screen until close() (as full-screen
 *  tools do: the person's scrollback is back untouched afterwards). Ctrl-C and q call onQuit. */
export function startTui(store: LiveStore, onQuit: () => void): Tui {
  process.stdout.write(ALT_SCREEN_ON);
  const restore = () => process.stdout.write(ALT_SCREEN_OFF);
  process.once('exit', restore);
  const instance = render(<App store={store} onQuit={onQuit} />, {
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
    },
  };
}
