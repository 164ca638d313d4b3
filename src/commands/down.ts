// `lablb down <lab>` and `lablb clean`: remove labs from their journals. Safe to repeat; what
// cannot be removed is reported and stays journaled, and the exit code says so.
import { removeLab } from '../engine/lifecycle.js';
import { requireRoot } from '../engine/preflight.js';
import { EXIT_CANNOT_RUN, EXIT_OK, TeardownError } from '../errors.js';
import { labByName, labsOnHost } from './common.js';
import type { CommandContext } from './context.js';

/** Every name of a small lab; a large one's count and a few (its 2000 names help nobody). */
function namesOf(namespaces: string[], most = 12): string {
  if (namespaces.length === 0) return '(none left)';
  if (namespaces.length <= most) return namespaces.join(' ');
  return `${namespaces.length} (${namespaces.slice(0, 3).join(' ')} ... ${namespaces.slice(-2).join(' ')})`;
}

async function remove(dir: string, name: string, ctx: CommandContext): Promise<boolean> {
  try {
    const r = await removeLab(dir, name, ctx.host, ctx.reporter.event);
    if (!ctx.json) {
      const undone = r.undone.length ? `, reverted: ${r.undone.join('; ')}` : '';
      ctx.out(
        `  stopped ${r.processes} processes, ${r.containers ? `removed ${r.containers} container${r.containers > 1 ? 's' : ''}, ` : ''}deleted namespaces: ${namesOf(r.namespaces)}${undone}`,
      );
    }
    return true;
  } catch (err) {
    if (!(err instanceof TeardownError)) throw err;
    ctx.err(`lablb: ${err.message}`);
    return false;
  }
}

export async function down(name: string, ctx: CommandContext): Promise<number> {
  requireRoot(ctx.host, 'down');
  const lab = labByName(name);
  if (!lab) {
    ctx.out(`No lab named ${name} on this host; nothing to remove.`);
    return EXIT_OK;
  }
  return (await remove(lab.dir, name, ctx)) ? EXIT_OK : EXIT_CANNOT_RUN;
}

export async function clean(ctx: CommandContext): Promise<number> {
  requireRoot(ctx.host, 'clean');
  const labs = labsOnHost();
  if (labs.length === 0) ctx.out('No labs on this host; nothing to remove.');
  let ok = true;
  for (const lab of labs) ok = (await remove(lab.dir, lab.name, ctx)) && ok;
  return ok ? EXIT_OK : EXIT_CANNOT_RUN;
}
