// DVR on five Neutron hosts (scenarios/dvr.yaml): the run's checks hold (floating IPs from the
// compute nodes, east-west routed there, SNAT by the network node, which dies and whose snat
// namespace network2 takes over while the floating IP's session loses nothing). Then, up:
// a routed frame crosses the underlay under compute1's DVR MAC, never the router's; the
// outside learns a floating IP at the fip namespace's fg- port; with both network nodes cut
// off, floating IPs and east-west still work and only SNAT stops. The host is left as found.
import { spawnSync } from 'node:child_process';
import t from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'curl', 'tcpdump');
const FABRIC = 'lablb-dvr-fabric';
const sh = (...argv: string[]) => spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 20_000 });
const inNs = (ns: string, ...argv: string[]) => sh('ip', 'netns', 'exec', ns, ...argv);
const macOf = (ns: string, dev: string) => /link\/ether (\S+)/.exec(sh('ip', '-n', ns, 'link', 'show', dev).stdout)?.[1];

t.test('run dvr: every check holds; host as found', { skip }, async (t) => {
  const before = hostState();
  const r = lablb('run', 'dvr', '--json');
  t.equal(r.code, 0, r.err);
  const checks = JSON.parse(r.out.trim().split('\n').at(-1)!).checks as { name: string; ok: boolean; detail: string }[];
  t.equal(checks.length, 9);
  for (const c of checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  t.match(checks.find((c) => c.name === 'network1-dies')?.detail, /1 of 1 VRRP groups took over elsewhere.*probe snat answered again \d+ ms after the kill/);
  t.match(checks.find((c) => c.name === 'fip-session-never-affected')?.detail, /^20\/20 ok/);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test('up dvr: DVR MACs on the wire, proxy ARP for floating IPs, network nodes cut off', { skip }, async (t) => {
  const before = hostState();
  const up = lablb('up', 'dvr', '--no-tui');
  t.equal(up.code, 0, up.err);
  try {
    const status = lablb('status', 'dvr', '--host', 'compute1');
    t.equal(status.code, 0, status.err);
    const dvrMac = /DVR MAC (fa:16:3f:[0-9a-f:]{8})/.exec(status.out)?.[1];
    t.ok(dvrMac, `compute1's DVR MAC in status: ${status.out}`);
    const qrB = macOf('qrouter-r1.compute1', 'qr-b');

    // vm-a (compute1) to vm-b (compute2), routed on compute1: on compute2's underlay wire the
    // inner frame comes from compute1's DVR MAC, on VNI 102 (net-b), to vm-b's MAC.
    inNs('vm-a', 'ping', '-c', '1', '-W', '1', '10.0.2.3'); // the underlay's ARP first
    const capture = spawnSync(
      'sh',
      [
        '-c',
        `ip netns exec ${FABRIC} timeout 8 tcpdump -c 2 -e -nn -l -i u-compute2 udp port 4789 and src host 192.168.77.4 & sleep 1; ip netns exec vm-a ping -c 3 -i 0.2 -W 1 10.0.2.3 >/dev/null; wait`,
      ],
      { encoding: 'utf8', timeout: 20_000 },
    );
    t.match(capture.stdout, new RegExp(`vni 102\\n${dvrMac} > ${macOf('vm-b', 'eth0')}, ethertype IPv4`), "compute1's DVR MAC to vm-b on net-b");
    t.notMatch(capture.stdout, new RegExp(`${qrB} >`), "never the router's own MAC");

    // The outside learns vm-a's floating IP at compute1's fg- port (proxy ARP).
    t.equal(inNs('ext', 'ping', '-c', '2', '-W', '1', '172.24.4.3').status, 0, 'the floating IP answers');
    const neigh = sh('ip', '-n', 'ext', 'neigh', 'show', '172.24.4.3').stdout;
    t.match(neigh, macOf('fip-public.compute1', 'fg-c1')!, `ext's ARP entry for 172.24.4.3 is fg-c1's MAC: ${neigh}`);

    // Both network nodes cut off: floating IPs and east-west go on; SNAT stops.
    const wires = ['u-network1', 'x-network1', 'u-network2', 'x-network2'];
    for (const w of wires) t.equal(sh('ip', '-n', FABRIC, 'link', 'set', w, 'down').status, 0);
    t.equal(inNs('ext', 'ping', '-c', '2', '-W', '1', '172.24.4.3').status, 0, "vm-a's floating IP, from compute1");
    t.equal(inNs('ext', 'ping', '-c', '2', '-W', '1', '172.24.4.4').status, 0, "vm-b's, from compute2");
    t.equal(inNs('vm-a', 'ping', '-c', '2', '-W', '1', '10.0.2.3').status, 0, 'east-west');
    t.not(inNs('vm-c', 'ping', '-c', '2', '-W', '1', '172.24.0.1').status, 0, 'SNAT is on the network nodes: gone');
    for (const w of wires) t.equal(sh('ip', '-n', FABRIC, 'link', 'set', w, 'up').status, 0);
    t.equal(inNs('vm-c', 'ping', '-c', '3', '-W', '2', '172.24.0.1').status, 0, 'SNAT back');
  } finally {
    const down = lablb('down', 'dvr');
    t.equal(down.code, 0, down.err);
  }
  t.same(await settledHostState(before), before, 'host as found');
});
