// Opening and closing the live screen for `run` and `watch`: the store, its observers, ink.
import type { Lab } from '../model.js';
import { AddressWatch } from '../observe/address-watch.js';
import { HaproxyWatch } from '../observe/haproxy-watch.js';
import { KeepalivedWatch } from '../observe/keepalived-watch.js';
import { NatWatch } from '../observe/nat-watch.js';
import { startTui, type FrameStats } from './app.js';
import { LiveStore } from './store.js';

export interface Screen {
  store: LiveStore;
  /** Starts polling the lab's observers (once it is built). */
  observe(lab: Lab): void;
  close(): FrameStats;
}

export async function openScreen(lab: Lab, mode: 'run' | 'watch', onQuit: () => void): Promise<Screen> {
  const store = new LiveStore(lab, mode);
  const tui = startTui(store, onQuit);
  return {
    store,
    observe(built) {
      const emit = store.event;
      store.attach({
        haproxy: new HaproxyWatch(built, emit),
        keepalived: new KeepalivedWatch(built, emit),
        nat: new NatWatch(built, emit),
        addresses: new AddressWatch(built, emit),
      });
      store.start();
    },
    close() {
      store.stop();
      return tui.close();
    },
  };
}
