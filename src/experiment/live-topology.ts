// A lab that changes while it runs (add-node, a controller's amphorae, a pool's members): the
// lab itself follows each change, in place, so whoever holds it sees what it has now.
import type { StepContext } from '../kinds/step-kind.js';
import type { Lab } from '../model.js';

/** `changed` is told after each change (observers to renew, a record to write). */
export function liveTopology(lab: Lab, changed: () => void = () => {}): StepContext['topology'] {
  return {
    add(node) {
      lab.nodes.push(node);
      changed();
    },
    remove(name) {
      const at = lab.nodes.findIndex((n) => n.name === name);
      if (at >= 0) lab.nodes.splice(at, 1);
      changed();
    },
    replaceService(service) {
      // In place: the observers hold the service itself and read its spec at every poll.
      const running = lab.nodes.find((n) => n.name === service.node)?.services.find((s) => s.name === service.name);
      if (running) running.spec = service.spec;
      changed();
    },
  };
}
