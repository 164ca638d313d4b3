// `lablb list` and `lablb validate`.
import { EXIT_OK } from '../errors.js';
import { loadScenarioFile } from '../scenario/load.js';
import { knownScenarios, loadLab, scenarioPath } from './common.js';
import type { CommandContext } from './context.js';

export function list(ctx: CommandContext): number {
  const names = knownScenarios();
  const rows = names.map((name) => {
    try {
      const s = loadScenarioFile(scenarioPath(name)).scenario;
      return { name, title: s.title ?? '', source: s.source ?? '' };
    } catch {
      return { name, title: '(does not validate: lablb validate ' + name + ')', source: '' };
    }
  });
  if (ctx.json) ctx.out(JSON.stringify({ type: 'scenarios', scenarios: rows }));
  else for (const r of rows) ctx.out(`${r.name.padEnd(20)} ${r.title}`);
  return EXIT_OK;
}

export function validate(scenario: string, ctx: CommandContext): number {
  const lab = loadLab(scenario);
  const steps = lab.experiment?.steps.length ?? 0;
  ctx.out(`${scenarioPath(scenario)}: ok (${lab.nodes.length} nodes, ${lab.networks.length} networks, ${steps} experiment steps)`);
  return EXIT_OK;
}
