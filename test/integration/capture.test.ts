// `lablb capture` on a running lab, for real: a keepalived failover captured from the client's
// port holds the story of seed 002 (VRRP adverts from the MASTER, then from the BACKUP once the
// MASTER's link is cut, and the new MASTER's gratuitous ARPs for the VIP), read back with
// tcpdump -r; pcap onto stdout for Wireshark; a port of the switch. The host is left as found.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { lablb, ROOT } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'keepalived', 'tcpdump');
const PAIR = join(ROOT, 'test', 'fixtures', 'vrrp-pair.yaml');

/** lablb in the background, as a user leaves a capture running. */
function lablbBackground(...args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'lablb.js'), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const done = new Promise<{ code: number | null; err: string }>((resolve) => child.on('exit', (code) => resolve({ code, err })));
  return { done };
}

t.test('a failover captured from the client: adverts from each MASTER in turn and the gratuitous ARPs', { skip }, async (t) => {
  const before = hostState();
  const dir = mkdtempSync(join(tmpdir(), 'lablb-capture-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  t.equal(lablb('up', PAIR).code, 0);
  t.teardown(() => void lablb('down', 'vrrp-pair'));
  // lb1 is MASTER (priority 100) once the lab is up and keepalived has settled.
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline && !/10\.1\.0\.100/.test(lablb('exec', 'lb1', '--', 'ip', '-4', '-o', 'addr').out)) await new Promise((r) => setTimeout(r, 200));

  const pcap = join(dir, 'failover.pcap');
  const capture = lablbBackground('capture', 'vrrp-pair', 'client:eth0', '-w', pcap, '--duration', '9', '--filter', 'vrrp or arp');
  await new Promise((r) => setTimeout(r, 2500));
  t.equal(lablb('exec', 'lb1', '--', 'ip', 'link', 'set', 'eth0', 'down').code, 0, "the MASTER's link cut");
  const ended = await capture.done;
  t.equal(ended.code, 0, ended.err);
  t.match(ended.err, /capturing on client:eth0 into /);

  const read = spawnSync('tcpdump', ['-n', '-r', pcap], { encoding: 'utf8' });
  t.equal(read.status, 0, read.stderr);
  const lines = read.stdout.split('\n');
  const adverts = (from: string) => lines.filter((l) => l.includes(`IP ${from} > 224.0.0.18: VRRPv2, Advertisement, vrid 51`)).length;
  t.ok(adverts('10.1.0.11') >= 2, `lb1's adverts before the cut (${adverts('10.1.0.11')})`);
  t.ok(adverts('10.1.0.12') >= 2, `lb2's adverts after it took over (${adverts('10.1.0.12')})`);
  const lastLb1 = lines.map((l) => l.includes('IP 10.1.0.11 > 224.0.0.18')).lastIndexOf(true);
  const firstLb2 = lines.findIndex((l) => l.includes('IP 10.1.0.12 > 224.0.0.18'));
  t.ok(lastLb1 < firstLb2, 'one MASTER, then the other');
  // keepalived's: "ARP, Request who-has 10.1.0.100 (ff:ff:ff:ff:ff:ff) tell 10.1.0.100".
  const garps = lines.filter((l) => /ARP, (Request who-has 10\.1\.0\.100 (\([^)]*\) )?tell 10\.1\.0\.100|Reply 10\.1\.0\.100 is-at)/.test(l));
  t.ok(garps.length >= 1, `the new MASTER's gratuitous ARPs for the VIP (${garps.length}): ${lines.filter((l) => l.includes('ARP')).join(' / ')}`);
  t.ok(lines.findIndex((l) => garps.includes(l)) > lastLb1, 'after the old MASTER fell silent');

  // pcap onto stdout, for Wireshark: a pcap file's magic number first.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_OPTIONS' && !/^_?TAP/.test(k)));
  const raw = spawnSync(
    process.execPath,
    [join(ROOT, 'bin', 'lablb.js'), 'capture', 'client:eth0', '-w', '-', '--count', '2', '--filter', 'vrrp', '--duration', '10'],
    { env },
  );
  t.equal(raw.status, 0, raw.stderr?.toString());
  t.ok([0xa1b2c3d4, 0xd4c3b2a1].includes(raw.stdout.readUInt32BE(0)), 'pcap on stdout');
  t.ok(raw.stdout.length > 24 + 2 * 16, 'two packets after the header');

  // Decoded lines, on a port of the switch (the one lb2 is plugged into).
  const onSwitch = lablb('capture', 'vrrp-pair', 'ovs:tap-lb2', '--count', '1', '--filter', 'vrrp', '--duration', '10');
  t.equal(onSwitch.code, 0, onSwitch.err);
  t.match(onSwitch.out, /IP 10\.1\.0\.12 > 224\.0\.0\.18: VRRPv2, Advertisement, vrid 51/);
  t.match(lablb('capture', 'vrrp-pair', 'client:eth7').err, /client has no port eth7/);
  t.notOk(readFileSync(pcap).length === 0);

  t.equal(lablb('down', 'vrrp-pair').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});
