import t from 'tap';
import { netns } from './netns.js';

t.test('a command that needs only the network stack enters the namespace with nsenter', async (t) => {
  t.same(netns.execNet('qrouter1', ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1']), [
    'nsenter',
    '--net=/run/netns/qrouter1',
    'sysctl',
    '-q',
    '-w',
    'net.ipv4.ip_forward=1',
  ]);
});

t.test('TX checksum offload: one nsenter, ethtool once per device from xargs', async (t) => {
  const op = netns.txChecksumOff('vm1', ['eth0', 'eth1']);
  t.same(op.kind === 'run' && op.argv, ['nsenter', '--net=/run/netns/vm1', 'xargs', '-n', '3', 'ethtool', '-K']);
  t.equal(op.kind === 'run' && op.input, 'eth0 tx off\neth1 tx off');
});
