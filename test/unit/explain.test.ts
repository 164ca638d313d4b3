// `run --explain` in-process, for every shipped scenario and every test fixture: each step says
// what it runs and what it judges, on either datapath, and nothing is left undefined.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { explainExperiment } from '../../src/experiment/explain.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { ROOT } from '../helpers.js';

const files = [
  ...readdirSync(join(ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'scenarios', f)),
  ...readdirSync(join(ROOT, 'test', 'fixtures'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => join(ROOT, 'test', 'fixtures', f)),
];

for (const file of files) {
  t.test(file.slice(ROOT.length), async (t) => {
    const lab = resolveLab(loadScenarioFile(file), { stateRoot: '/run/lablb' });
    for (const datapath of ['netdev', 'system'] as const) {
      const text = explainExperiment(lab, datapath);
      t.notMatch(text, /undefined|\[object Object\]|NaN/, `${datapath}: nothing undefined`);
      if (!lab.experiment) {
        t.match(text, /has no experiment/);
        continue;
      }
      const steps = text.split(/\n# step \d+\/\d+: /).slice(1);
      t.equal(steps.length, lab.experiment.steps.length, `${datapath}: every step`);
      for (const s of steps) t.ok(s.trim().split('\n').length >= 2, `${datapath}: ${s.split('\n')[0]} says what it does`);
      for (const p of lab.experiment.probes)
        t.match(text, new RegExp(`LABLB_TOKEN=${lab.name}/${p.from}/prober-${p.name} ip netns exec ${p.from} `), `probe ${p.name}'s command`);
    }
  });
}

t.test('a node joining on the userspace datapath has its TX checksum offload turned off; on the kernel one not', async (t) => {
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'test', 'fixtures', 'living-lab.yaml')), { stateRoot: '/run/lablb' });
  t.match(explainExperiment(lab, 'netdev'), /nsenter --net=\/run\/netns\/vm3 ethtool -K eth0 tx off\n/);
  t.notMatch(explainExperiment(lab, 'system'), /ethtool/);
  t.match(explainExperiment(lab, 'netdev'), /-sf \$\(cat \/run\/lablb\/living-lab\/nodes\/qlbaas-01\/lb\.pid\)/, "the reload reads the running haproxy's PIDs");
});
