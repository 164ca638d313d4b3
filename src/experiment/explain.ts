// `run --explain`: the experiment as text, after the build's commands. Every command a step
// would run is a shell line; what it waits for and judges is a comment. Reads nothing from
// the host and changes nothing.
import { probeTarget, type Datapath, type Lab } from '../model.js';
import { shellLine } from '../shell.js';
import { stepKindOf } from '../steps/all.js';
import { proberCommand } from './prober-client.js';
import { PROBER_MAX_SECONDS, WARMUP_MS } from './run.js';

export function explainExperiment(lab: Lab, datapath: Datapath): string {
  const experiment = lab.experiment;
  if (!experiment) return `# scenario ${lab.scenario} has no experiment: 'run' would only build the lab\n`;
  const out = ['', `# The experiment: what \`lablb run\` does once lab ${lab.name} is up.`];
  if (experiment.probes.length) {
    out.push(`# Probes send traffic for the whole run, and stop by themselves after ${PROBER_MAX_SECONDS} s at most:`);
    for (const p of experiment.probes) {
      const { argv, env } = proberCommand(lab.name, p, PROBER_MAX_SECONDS);
      out.push(`# probe ${p.name}: ${probeTarget(p)} from ${p.from}, every ${p.intervalMs} ms, ${p.timeoutMs} ms timeout`, `${shellLine(argv, env)} &`);
    }
    out.push(`# Then it waits (at most ${WARMUP_MS / 1000} s) for each probe's first replies and for every service to settle.`);
  }
  experiment.steps.forEach((step, i) => {
    out.push('', `# step ${i + 1}/${experiment.steps.length}: ${step.name} (${step.kind})`, ...stepKindOf(step.kind).explain(step, { lab, datapath }));
  });
  out.push('', `# Then: every step's change undone and the lab removed, as 'lablb down ${lab.name}' does.`);
  return `${out.join('\n')}\n`;
}
