import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { commandsIn, MANY_RUNS, prepareLab } from '../../src/engine/lifecycle.js';
import { loadScenarioFile } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { fakeHost } from '../fake-host.js';
import { FLAGSHIP, ROOT } from '../helpers.js';

t.test('a build of hundreds of commands asks the host for its cheaper way to start them; a small one does not', async (t) => {
  const stateRoot = mkdtempSync(join(tmpdir(), 'lablb-lifecycle-'));
  t.teardown(() => rmSync(stateRoot, { recursive: true, force: true }));
  const routers = (n: number) => resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'scale-routers.yaml'), new Map([['routers', n]])), { stateRoot });
  for (const [name, lab, many] of [
    ['floating-ip-lb', resolveLab(loadScenarioFile(FLAGSHIP), { stateRoot }), false],
    ['scale-routers, 40 routers', routers(40), true],
  ] as const) {
    const host = fakeHost();
    let asked = 0;
    host.expectManyRuns = () => void asked++;
    const prepared = await prepareLab(lab, host, () => {});
    t.equal(commandsIn(prepared.plan) >= MANY_RUNS, many, `${name}: ${commandsIn(prepared.plan)} commands`);
    t.equal(asked, many ? 1 : 0, `${name}: asked ${many ? 'once' : 'never'}`);
  }
});

t.test('commands are the run ops: daemons, files and dirs are not', async (t) => {
  const ops = [
    { kind: 'run' as const, argv: ['true'] },
    { kind: 'mkdir' as const, paths: ['/x'] },
    { kind: 'write' as const, path: '/x/y', content: '' },
    { kind: 'run' as const, argv: ['false'] },
  ];
  t.equal(
    commandsIn({
      lab: 'x',
      env: {},
      tasks: [
        { id: 'a', title: 'a', after: [], ops },
        { id: 'b', title: 'b', after: ['a'], ops: ops.slice(0, 1) },
      ],
    }),
    3,
  );
});
