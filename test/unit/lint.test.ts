// The repository's style, kept: eslint's rules (eslint.config.js) and prettier's layout
// (.prettierrc.json) hold for every file, so a change that breaks either fails here, in CI, with
// the file and line. `npm run format` fixes what it can.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import t from 'tap';
import { ROOT } from '../helpers.js';

const bin = (name: string) => join(ROOT, 'node_modules', '.bin', name);

function run(command: string, args: string[]) {
  const r = spawnSync(bin(command), args, { cwd: ROOT, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

t.test('eslint: no problems', async (t) => {
  const r = run('eslint', ['--max-warnings', '0', '.']);
  t.equal(r.code, 0, r.out);
});

t.test('prettier: every file as prettier lays it out', async (t) => {
  const r = run('prettier', ['--check', '.']);
  t.equal(r.code, 0, r.out);
});

t.test('the lint would catch a problem: eslint reads what it is given', async (t) => {
  const r = spawnSync(bin('eslint'), ['--stdin', '--stdin-filename', 'src/x.ts'], { cwd: ROOT, input: 'let unused = 1;\n', encoding: 'utf8' });
  t.not(r.status, 0);
  t.match(r.stdout, /'unused' is assigned a value but never used/);
  const p = spawnSync(bin('prettier'), ['--check', '--stdin-filepath', 'src/x.ts'], { cwd: ROOT, input: 'const  x = "a"\n', encoding: 'utf8' });
  t.not(p.status, 0, 'double quotes and two spaces are not the house layout');
});
