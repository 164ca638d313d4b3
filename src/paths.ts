// Where lablb's own files are, wherever this module ends up (compiled, bundled, or run from
// source by the tests): the nearest directory above it with lablb's package.json.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function findPackageRoot(from: string): string {
  for (let dir = dirname(from); dir !== dirname(dir); dir = dirname(dir)) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'lablb') return dir;
  }
  throw new Error(`cannot find lablb's package.json above ${from}`);
}

export const PACKAGE_ROOT = findPackageRoot(fileURLToPath(import.meta.url));
export const SCENARIO_DIR = join(PACKAGE_ROOT, 'scenarios');
/** The agents run as separate node processes inside namespaces; always the compiled files. */
export const AGENT_DIR = join(PACKAGE_ROOT, 'dist', 'src', 'agents');

export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version;
}
