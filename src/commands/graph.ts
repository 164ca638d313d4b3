// `lablb graph <lab|scenario>`: a lab drawn as nodes, networks and a link per port. A running
// lab is read from its record (with the nodes added at run time); otherwise the scenario is
// resolved, which needs no root and touches nothing.
import { UserError } from '../errors.js';
import { LAB_NAME } from '../lab-name.js';
import type { HostDriver } from '../host.js';
import type { Lab } from '../model.js';
import { graphDot, graphJson } from '../report/graph.js';
import { labByName, loadLab } from './common.js';
import type { CommandContext } from './context.js';

const FORMATS = ['dot', 'json', 'svg'] as const;

/** The running lab of that name, or the scenario it names. */
function labFor(arg: string, ctx: CommandContext): Lab {
  const running = LAB_NAME.test(arg) ? labByName(arg)?.record?.lab : undefined;
  return running ?? loadLab(arg, undefined, ctx.sets);
}

export async function graph(arg: string, format: string | undefined, ctx: CommandContext): Promise<number> {
  const chosen = format ?? 'dot';
  if (!(FORMATS as readonly string[]).includes(chosen)) throw new UserError(`--format ${JSON.stringify(chosen)}: one of ${FORMATS.join(', ')}`);
  const lab = labFor(arg, ctx);
  if (chosen === 'json') {
    ctx.out(JSON.stringify(graphJson(lab), null, 2));
    return 0;
  }
  const dot = graphDot(graphJson(lab));
  if (chosen === 'dot') {
    ctx.out(dot.trimEnd());
    return 0;
  }
  if (!ctx.host.which('dot'))
    throw new UserError("--format svg needs Graphviz's dot", 'install it: sudo apt-get install graphviz (or: sudo lablb doctor --fix)');
  ctx.out((await drawSvg(ctx.host, dot)).trimEnd());
  return 0;
}

/** DOT drawn as SVG by Graphviz's dot, which reads it from stdin: no file, no shell. */
export async function drawSvg(host: HostDriver, dot: string): Promise<string> {
  return (await host.run(['dot', '-Tsvg'], { input: dot })).stdout;
}
