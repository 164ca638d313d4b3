// Shared by the tests: the flagship scenario resolved against a fixed state root.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Lab } from '../src/model.js';
import { loadScenarioFile, parseScenario } from '../src/scenario/load.js';
import { resolveLab } from '../src/scenario/resolve.js';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const FLAGSHIP = join(ROOT, 'scenarios', 'floating-ip-lb.yaml');

export function loadFixtureLab(stateRoot = '/run/lablb'): Lab {
  return resolveLab(loadScenarioFile(FLAGSHIP), { stateRoot });
}

export function labFromText(text: string, file = 'test.yaml'): Lab {
  return resolveLab(parseScenario(text, file), { stateRoot: '/run/lablb' });
}
