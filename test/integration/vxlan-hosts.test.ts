// Three Neutron hosts, each with its own Open vSwitch, joined by VXLAN (scenarios/vxlan-hosts.yaml):
// the experiment's checks hold (north-south through the network node, east-west between
// compute nodes, l2pop's unicast entries counted); the packets really cross the underlay as
// VXLAN with the network's VNI, and cutting a compute node's underlay wire cuts its VMs off.
// --host reaches each host's own switch. The host is left as found.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'curl', 'tcpdump');
const FABRIC = 'lablb-vxlan-hosts-fabric';
const sh = (...argv: string[]) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });

t.test('run vxlan-hosts: every check holds; host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'vxlan-hosts', '--json');
  t.equal(r.code, 0, r.err);
  const checks = JSON.parse(r.out.trim().split('\n').at(-1)!).checks as { name: string; ok: boolean; detail: string; packets?: number }[];
  t.equal(checks.length, 10);
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.ok((checks.find((c) => c.name === 'east-west-by-l2pop')?.packets ?? 0) > 0, "compute2's l2pop entry for vm1 counted packets");
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('up vxlan-hosts: VXLAN on the underlay, a cut wire, --host', { skip }, async (t) => {
  const before = hostState();
  const up = lablb('up', 'vxlan-hosts', '--no-tui');
  t.equal(up.code, 0, up.err);
  try {
    // vm2 (compute2) to vm1 (compute1), seen on compute1's underlay wire: VXLAN, VNI 1001.
    const capture = spawnSync(
      'sh',
      [
        '-c',
        `ip netns exec ${FABRIC} timeout 8 tcpdump -c 2 -nn -l -i u-compute1 udp port 4789 and src host 192.168.77.3 & sleep 1; ip netns exec vm2 ping -c 3 -i 0.2 -W 1 10.0.0.11 >/dev/null; wait`,
      ],
      {
        encoding: 'utf8',
        timeout: 20_000,
      },
    );
    t.match(capture.stdout, /192\.168\.77\.3\.\d+ > 192\.168\.77\.2\.4789: VXLAN, flags \[I\] \(0x08\), vni 1001/, 'compute2 to compute1 as VXLAN, VNI 1001');
    t.equal(sh('ip', 'netns', 'exec', 'vm2', 'ping', '-c', '1', '-W', '1', '10.0.0.11').status, 0, 'vm2 reaches vm1');

    // compute1's underlay wire cut: its VM is unreachable from compute2; mended, reachable.
    t.equal(sh('ip', '-n', FABRIC, 'link', 'set', 'u-compute1', 'down').status, 0);
    t.not(sh('ip', 'netns', 'exec', 'vm2', 'ping', '-c', '2', '-W', '1', '10.0.0.11').status, 0, 'no way to vm1 but the tunnel');
    t.equal(sh('ip', '-n', FABRIC, 'link', 'set', 'u-compute1', 'up').status, 0);
    t.equal(sh('ip', 'netns', 'exec', 'vm2', 'ping', '-c', '3', '-W', '2', '10.0.0.11').status, 0, 'the tunnel back');

    // --host: each host's own Open vSwitch, as Neutron would show it.
    const show = lablb('shell', 'vxlan-hosts', '--host', 'compute1', '--', 'ovs-vsctl', 'show');
    t.equal(show.code, 0, show.err);
    t.match(show.out, /Bridge br-tun[\s\S]*Port vxlan-c0a84d01[\s\S]*remote_ip="192\.168\.77\.1"/, "compute1's tunnel to network1");
    t.match(show.out, /Port tap-vm1\s+tag: 1/, "vm1's port on compute1's br-int");
    t.notMatch(show.out, /br-ex|tap-vm2/, 'nothing of the other hosts');
    const flows = lablb('exec', '--host', 'compute2', '--', 'ovs-ofctl', 'dump-flows', 'br-tun', 'table=22');
    t.equal(flows.code, 0, flows.err);
    t.match(
      flows.out,
      /dl_vlan=1 actions=strip_vlan,load:0x3e9->NXM_NX_TUN_ID\[\],output:2,output:3/,
      "compute2 floods the network's broadcasts to both peers",
    );
    const status = lablb('status', 'vxlan-hosts', '--host', 'network1');
    t.equal(status.code, 0, status.err);
    t.match(status.out, /network1 \(network\) local_ip 192\.168\.77\.1, namespace lablb-vxlan-hosts-network1: ext qrouter-1/);
    t.notMatch(status.out, /compute1 \(compute\)/, 'one host');
    const none = lablb('exec', 'ovs', '--', 'true');
    t.equal(none.code, 2);
    t.match(none.err, /say which with --host \(network1, compute1, compute2\)/);
  } finally {
    const down = lablb('down', 'vxlan-hosts');
    t.equal(down.code, 0, down.err);
  }
  t.same(await settledHostState(before), before, 'host as found');
});
