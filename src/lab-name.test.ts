import { join } from 'node:path';
import t from 'tap';
import { labDir } from './engine/journal.js';
import { UserError } from './errors.js';
import { checkLabName } from './lab-name.js';

t.test('a lab name is the scenario name rule; anything else is refused before a path is made', async (t) => {
  for (const ok of ['floating-ip-lb', 'l3-ha', 'a', '0day', 'x'.repeat(40)]) t.equal(checkLabName(ok), ok);
  for (const bad of ['', '..', '../etc', '/etc', 'a/b', 'UPPER', '-dash', 'a b', 'x'.repeat(41), 'tab\t', 'é']) {
    t.throws(() => checkLabName(bad), UserError, JSON.stringify(bad));
  }
  t.throws(() => checkLabName('../x', 'a lab name (--name)'), {
    message: '"../x" is not a lab name (--name): lowercase letters, digits and "-", starting with a letter or digit, up to 40',
  });
  const root = process.env.LABLB_STATE_DIR ?? '/run/lablb';
  t.equal(labDir('l3-ha'), join(root, 'l3-ha'));
  t.throws(() => labDir('../../etc'), UserError, 'no verb reaches outside the state dir');
});
