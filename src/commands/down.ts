// `lablb down <lab>` and `lablb clean`: remove labs from their journals. Safe to repeat.
import { realDriver } from '../engine/driver.js';
import { requireRoot } from '../engine/preflight.js';
import { teardownLab } from '../engine/teardown.js';
import { EXIT_OK } from '../errors.js';
import { labByName, labsOnHost } from './common.js';
import type { CommandContext } from './context.js';

async function remove(dir: string, name: string, ctx: CommandContext): Promise<void> {
  const started = performance.now();
  ctx.reporter.event({ type: 'lab', lab: name, state: 'tearing-down' });
  const r = await teardownLab(dir, realDriver);
  if (!ctx.json) ctx.out(`  stopped ${r.processes} processes, deleted namespaces: ${r.namespaces.join(' ') || '(none left)'}`);
  ctx.reporter.event({ type: 'lab', lab: name, state: 'down', ms: Math.round(performance.now() - started) });
}

export async function down(name: string, ctx: CommandContext): Promise<number> {
  requireRoot('down');
  const lab = labByName(name);
  if (!lab) {
    ctx.out(`No lab named ${name} on this host; nothing to remove.`);
    return EXIT_OK;
  }
  await remove(lab.dir, name, ctx);
  return EXIT_OK;
}

export async function clean(ctx: CommandContext): Promise<number> {
  requireRoot('clean');
  const labs = labsOnHost();
  if (labs.length === 0) ctx.out('No labs on this host; nothing to remove.');
  for (const lab of labs) await remove(lab.dir, lab.name, ctx);
  return EXIT_OK;
}
