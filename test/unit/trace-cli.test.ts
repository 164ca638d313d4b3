// `lablb trace`'s command line, as a user types it: each mistake named, exit 2, before root is
// asked for or any lab is looked at.
import t from 'tap';
import { lablb } from '../helpers.js';

t.test('trace: --from and --to missing or wrong, a second lab name', async (t) => {
  const noFrom = lablb('trace', 'floating-ip-lb', '--to', '10.0.0.1');
  t.equal(noFrom.code, 2);
  t.match(noFrom.err, 'lablb: trace needs --from NODE');
  const twoLabs = lablb('trace', 'a', 'b', '--from', 'x', '--to', '10.0.0.1');
  t.match(twoLabs.err, 'trace takes one lab name, got: a b');
  const bad = lablb('trace', '--from', 'ext', '--to', 'nowhere');
  t.match(bad.err, 'lablb: --to "nowhere": an IPv4 address, with :PORT for TCP');
});
