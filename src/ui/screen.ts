// Opening and closing the live screen for `run` and `watch`: the store and ink. The lab's
// state comes from an Observation the caller runs.
import type { HostDriver } from '../host.js';
import type { Lab } from '../model.js';
import type { Observation } from '../observe/hub.js';
import { startTui, type FrameStats } from './app.js';
import { LiveStore } from './store.js';

export interface Screen {
  store: LiveStore;
  /** Shows the lab's live state (once it is built); observes at least twice a second. */
  observe(observation: Observation, host: HostDriver): void;
  close(): FrameStats;
}

export async function openScreen(lab: Lab, mode: 'run' | 'watch', onQuit: () => void): Promise<Screen> {
  const store = new LiveStore(lab, mode);
  const tui = startTui(store, onQuit);
  return {
    store,
    observe(observation, host) {
      store.attach({ facts: observation.facts, host });
      observation.start(500);
      store.start();
    },
    close() {
      store.stop();
      return tui.close();
    },
  };
}
