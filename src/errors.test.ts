import t from 'tap';
import { ExternalError } from './errors.js';

t.test('a failed command of thousands of arguments is shown by its start and end', async (t) => {
  const command = `ovs-vsctl ${'-- wait-until Interface tv1 ofport>0 '.repeat(200)}-- the-end`;
  const message = new ExternalError(command, 1, 'timed out').message;
  t.ok(message.length < 800, `${message.length} characters`);
  t.match(message, /^command failed \(exit 1\): ovs-vsctl -- wait-until/);
  t.match(message, /\.\.\. \(\d+ characters\) \.\.\. .*-- the-end\ntimed out$/s);
  t.equal(new ExternalError('ip link', 2, '').message, 'command failed (exit 2): ip link');
});
