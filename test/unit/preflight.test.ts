// What lablb needs from the host, and how it says what is missing.
import t from 'tap';
import { missingTools, missingToolsError } from '../../src/engine/preflight.js';
import { TOOLS, toolsFor } from '../../src/engine/tools.js';
import { loadFixtureLab } from '../helpers.js';

const lab = loadFixtureLab();

t.test('the flagship needs OVS, haproxy, iptables, curl; ethtool only on the userspace datapath', async (t) => {
  const netdev = toolsFor(lab, 'netdev').map((x) => x.command);
  t.same(netdev, [
    'ip',
    'nsenter',
    'sysctl',
    'rmmod',
    'ovsdb-server',
    'ovs-vswitchd',
    'ovs-vsctl',
    'ovs-ofctl',
    'ethtool',
    'xargs',
    'haproxy',
    'arping',
    'iptables-restore',
    'iptables-save',
    'curl',
  ]);
  const system = toolsFor(lab, 'system').map((x) => x.command);
  t.notOk(system.includes('ethtool'));
  t.notOk(system.includes('xargs'));
  t.notOk(system.includes('ovsdb-client'), 'a lab of a hundred ports or fewer is wired by ovs-vsctl alone');
  t.notOk(system.includes('modprobe'), 'lablb loads no kernel module');
});

t.test('a missing tool names its Debian package and how to install it', async (t) => {
  const absent = new Set(['haproxy', 'ovs-vsctl', 'ovs-vswitchd']);
  const missing = missingTools(lab, 'netdev', (cmd) => (absent.has(cmd) ? undefined : `/usr/bin/${cmd}`));
  const err = missingToolsError(missing);
  t.equal(err.message, 'missing ovs-vswitchd, ovs-vsctl, haproxy (Debian packages: openvswitch-switch haproxy)');
  t.equal(err.hint, 'install with: sudo apt-get install -y openvswitch-switch haproxy   (or: sudo lablb doctor --fix)');
  t.same(
    missingTools(lab, 'netdev', (cmd) => `/usr/bin/${cmd}`),
    [],
  );
});

t.test('every tool has a package and a way to ask its version', async (t) => {
  for (const tool of TOOLS) {
    t.match(tool.pkg, /^[a-z0-9.+-]+$/, tool.command);
    t.ok(tool.versionArgs.length > 0, tool.command);
  }
});
