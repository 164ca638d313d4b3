// `lablb list` and `lablb validate`.
import { safeJson } from '../safe-text.js';
import { EXIT_OK } from '../errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import { knownScenarios, loadLab, scenarioPath } from './common.js';
import type { CommandContext } from './context.js';

export function list(ctx: CommandContext): number {
  const names = knownScenarios();
  const rows = names.map((name) => {
    try {
      const s = loadScenarioFile(scenarioPath(name)).scenario;
      const parameters = Object.entries(s.parameters ?? {}).map(([p, d]) => ({ name: p, default: d.default, description: d.description ?? '' }));
      return { name, title: s.title ?? '', source: s.source ?? '', parameters };
    } catch {
      return { name, title: '(does not validate: lablb validate ' + name + ')', source: '', parameters: [] };
    }
  });
  if (ctx.json) {
    ctx.out(safeJson({ type: 'scenarios', scenarios: rows }));
    return EXIT_OK;
  }
  for (const r of rows) {
    ctx.out(`${r.name.padEnd(20)} ${r.title}`);
    for (const p of r.parameters) ctx.out(`${''.padEnd(20)}   --set ${p.name}=${String(p.default)}${p.description ? `   ${p.description}` : ''}`);
  }
  return EXIT_OK;
}

export function validate(scenario: string, ctx: CommandContext): number {
  const lab = loadLab(scenario, undefined, ctx.sets);
  const steps = lab.experiment?.steps.length ?? 0;
  ctx.out(`${scenarioPath(scenario)}: ok (${lab.nodes.length} nodes, ${lab.networks.length} networks, ${steps} experiment steps)`);
  return EXIT_OK;
}
