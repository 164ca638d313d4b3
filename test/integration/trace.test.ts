// `lablb trace` on running labs, with real packets: keepalived-vip's blocked phase names the
// flow that drops the VIP's ARP replies (table 24, each holder's port by its cookie), and once
// keepalived01 is allowed the VIP the same trace is delivered; floating-ip-lb's floating IP is
// followed through the router's DNAT to the load balancer, and a port nothing listens on is
// refused. The TRACE rules are taken off again (their undos settled), and the host is as found.
import t, { type Test } from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';
import { Journal } from '../../src/engine/journal.js';
import { pendingUndos } from '../../src/commands/impair.js';
import { findByToken } from '../../src/drivers/procs.js';

const skip = realHostSkip(t, 'keepalived', 'haproxy', 'xtables-monitor', 'curl', 'ping');

/** No TRACE rule left in any of the lab's nodes, no undo of the trace's still pending, and no
 *  monitor or sender of the last trace (its source port in its token) still running. */
function untraced(t: Test, lab: string, nodes: string[], lastOut: string) {
  const sport = /from port (\d+)/.exec(lastOut)?.[1];
  if (sport) for (const n of nodes) t.same(findByToken(`${lab}/${n}/trace-${sport}`), [], `${n}: no process of the trace left`);
  for (const n of nodes) t.notMatch(lablb('exec', n, '--lab', lab, '--', 'iptables', '-t', 'raw', '-S').out, /TRACE/, `${n}: no TRACE rule left`);
  const pending = [...pendingUndos(Journal.open(`/run/lablb/${lab}`).entries()).keys()].filter((id) => id.startsWith('trace-'));
  t.same(pending, [], 'every TRACE rule journaled and settled');
}

t.test('keepalived-vip: the VIP blocked by table 24, named; allowed, delivered', { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'keepalived-vip').code, 0);
  t.teardown(() => void lablb('down', 'keepalived-vip'));
  const blocked = lablb('trace', 'keepalived-vip', '--from', 'client', '--to', '172.16.200.251:80');
  t.equal(blocked.code, 1, 'not delivered: exit 1');
  t.match(blocked.out, /^Tracing a TCP SYN from port \d+ to 172\.16\.200\.251:80, from client in lab keepalived-vip$/m);
  t.match(blocked.out, /ARP for 172\.16\.200\.251 on eth0: no answer \((INCOMPLETE|FAILED|no entry)\)/);
  t.match(blocked.out, /br-int table 24: arp,in_port=\d+, priority 1, cookie 0x5ec000\d1 -> drop/, 'the dropping flow, with its cookie');
  t.match(
    blocked.out,
    /NOT DELIVERED: the ARP reply for 172\.16\.200\.251: keepalived0[12]'s dropped on br-int in table 24: ARP from an address it was not given \(table 24\), the drop flow of keepalived0[12]\/eth0's port security/,
  );
  const json = JSON.parse(lablb('trace', 'keepalived-vip', '--from', 'client', '--to', '172.16.200.251:80', '--json').out);
  t.equal(json.dropped, true);
  t.ok(json.hops.length >= 2);

  // The article's fix for keepalived01: the VIP as an allowed address pair.
  const pair = lablb(
    'neutron',
    '--lab',
    'keepalived-vip',
    'port-update',
    'keepalived01/eth0',
    '--allowed-address-pairs',
    'type=dict',
    'list=true',
    'ip_address=172.16.200.251',
  );
  t.equal(pair.code, 0, pair.err);
  let allowed = lablb('trace', 'keepalived-vip', '--from', 'client', '--to', '172.16.200.251:80');
  // The client's ARP entry for the VIP failed a moment ago: the kernel asks again within a few
  // seconds, and then keepalived01 answers.
  for (let i = 0; i < 10 && allowed.code !== 0; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    allowed = lablb('trace', 'keepalived-vip', '--from', 'client', '--to', '172.16.200.251:80');
  }
  t.equal(allowed.code, 0, allowed.out);
  t.match(allowed.out, /next hop 172\.16\.200\.251 is fa:16:3e:c8:00:c1/, "keepalived01's MAC");
  t.match(
    allowed.out,
    /br-int table 25: ip,in_port=\d+,dl_src=fa:16:3e:c8:00:0a,nw_src=172\.16\.200\.10, priority 3 -> resubmit\(,60\)/,
    "the client's anti-spoofing passed",
  );
  t.match(allowed.out, /keepalived01 \(arrives on eth0\)/);
  t.match(allowed.out, /DELIVERED: delivered to keepalived01, and the connection was made/);
  untraced(t, 'keepalived-vip', ['client', 'keepalived01', 'keepalived02'], allowed.out);
  t.equal(lablb('down', 'keepalived-vip').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});

t.test("floating-ip-lb: through the router's DNAT to the load balancer; a closed port refused; no route", { skip }, async (t) => {
  const before = hostState();
  t.equal(lablb('up', 'floating-ip-lb').code, 0);
  t.teardown(() => void lablb('down', 'floating-ip-lb'));
  const r = lablb('trace', 'floating-ip-lb', '--from', 'ext', '--to', '10.255.253.100:80');
  t.equal(r.code, 0, r.out + r.err);
  const order = ['ext (sends it)', 'br-ex (from eth3)', 'qrouter01 (arrives on qg01)', 'br-int (from qr01)', 'qlbaas-01 (arrives on tap04)'];
  const at = order.map((title) => r.out.indexOf(`\n${title}\n`));
  t.ok(
    at.every((i, k) => i > 0 && (k === 0 || i > at[k - 1])),
    `the hops in order: ${order.join(' > ')}`,
  );
  t.match(
    r.out,
    /iptables nat neutron-l3-agent-PREROUTING: -d 10\.255\.253\.100\/32 -j DNAT --to-destination 10\.0\.0\.100 -> ACCEPT/,
    'the DNAT rule that matched',
  );
  t.match(r.out, /after NAT: 10\.255\.253\.1 -> 10\.0\.0\.100:80/);
  t.match(r.out, /DELIVERED: delivered to qlbaas-01, and the connection was made/);

  const closed = lablb('trace', 'floating-ip-lb', '--from', 'ext', '--to', '10.255.253.100:81');
  t.equal(closed.code, 1);
  t.match(closed.out, /NOT DELIVERED: delivered to qlbaas-01, which refused it: nothing listens on 10\.0\.0\.100:81/);

  const out = lablb('trace', 'floating-ip-lb', '--from', 'vm1', '--to', '10.255.253.1');
  t.equal(out.code, 0, out.out);
  t.match(out.out, /iptables nat neutron-l3-agent-snat: -s 10\.0\.0\.0\/24 -j SNAT --to-source 10\.255\.253\.10 -> ACCEPT/);
  t.match(out.out, /after NAT: 10\.255\.253\.10 -> 10\.255\.253\.1/, 'the source as it leaves');
  t.match(out.out, /DELIVERED: delivered to ext, and it answered/);

  const nowhere = lablb('trace', 'floating-ip-lb', '--from', 'ext', '--to', '10.9.9.9');
  t.equal(nowhere.code, 1);
  t.match(nowhere.out, /NOT DELIVERED: dropped in ext: no route to 10\.9\.9\.9/);
  untraced(t, 'floating-ip-lb', ['ext', 'qrouter01', 'qlbaas-01', 'vm1', 'vm2'], r.out);
  t.equal(lablb('down', 'floating-ip-lb').code, 0);
  t.same(await settledHostState(before), before, 'host as found');
});
