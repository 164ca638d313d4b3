// `lablb capture`: what tcpdump is given, and every mistake refused before anything runs.
import t from 'tap';
import { captureArgv, captureSite, checkOptions, filterWords, parseTarget } from '../../src/commands/capture.js';
import { UserError } from '../../src/errors.js';
import { lablb, loadFixtureLab } from '../helpers.js';

const lab = loadFixtureLab();

t.test('the filter: BPF words after "--", none an option or a shell word', async (t) => {
  t.same(filterWords(undefined), []);
  t.same(filterWords(' vrrp or  arp '), ['vrrp', 'or', 'arp']);
  t.same(filterWords('tcp[13] & 2 != 0 and host 10.0.0.3'), ['tcp[13]', '&', '2', '!=', '0', 'and', 'host', '10.0.0.3']);
  t.same(filterWords('icmp[icmptype] == icmp-echo and len - 14 > 100'), ['icmp[icmptype]', '==', 'icmp-echo', 'and', 'len', '-', '14', '>', '100']);
  for (const bad of ['-w /etc/passwd', 'vrrp; reboot', 'host $(id)', 'port `80`', "host '1'", 'arp\n-r', '--help'])
    t.throws(() => filterWords(bad), UserError, JSON.stringify(bad));
  t.throws(() => filterWords('arp or '.repeat(80)), /longer than 512/);
});

t.test('node:port, and the options: whole numbers in range', async (t) => {
  t.same(parseTarget('qrouter-net2:ha-n2'), { node: 'qrouter-net2', port: 'ha-n2' });
  for (const bad of ['vm1', 'vm1:', ':eth0', 'vm1:eth0:x', '../vm1:eth0', 'vm1:eth0;id', 'vm1:a-port-name-too-long'])
    t.throws(() => parseTarget(bad), UserError, bad);
  t.same(checkOptions({}), { pcap: false, count: undefined, duration: undefined, filter: [] });
  t.same(checkOptions({ write: '-', count: '5', duration: '30', filter: 'arp' }), { pcap: true, count: 5, duration: 30, filter: ['arp'] });
  for (const count of ['0', '-1', '1.5', '1e3', 'x', '10000001']) t.throws(() => checkOptions({ count }), /--count/, count);
  t.throws(() => checkOptions({ duration: '86401' }), /--duration: "86401" is not a whole number from 1 to 86400/);
});

t.test("a node's port, or one of the switch's: checked against the lab", async (t) => {
  t.match(captureSite(lab, 'vm1', 'eth0'), { device: 'eth0', member: { name: 'vm1' } });
  t.match(captureSite(lab, 'vm1', 'any'), { device: 'any', member: { name: 'vm1' } });
  t.throws(() => captureSite(lab, 'vm1', 'eth9'), /vm1 has no port eth9/);
  const tap = lab.nodes.flatMap((n) => n.ports.flatMap((p) => (p.type === 'veth' ? [p.bridgePort] : [])))[0];
  const internal = lab.nodes.flatMap((n) => n.ports.flatMap((p) => (p.type === 'internal' ? [p.bridgePort] : [])))[0];
  t.throws(() => captureSite(lab, 'ovs', internal), /the switch has no port/, 'an internal port lives in its node');
  t.same(captureSite(lab, 'ovs', tap), { device: tap, switch: lab.switch });
  t.throws(() => captureSite(lab, 'ovs', 'br-int'), /the switch has no port br-int lablb plugged/);
  t.throws(() => captureSite(lab, 'vm1', 'eth0', 'compute1'), /vm1 is on the lab's one switch, not on compute1/);
});

t.test("tcpdump's command line: lines, or pcap onto stdout; bounded by timeout's SIGINT", async (t) => {
  const site = captureSite(lab, 'vm1', 'eth0');
  t.same(captureArgv(site, checkOptions({})), ['nsenter', '--net=/run/netns/vm1', 'tcpdump', '-i', 'eth0', '-n', '-l', '--']);
  const argv = captureArgv(site, checkOptions({ write: 'x.pcap', count: '3', duration: '9', filter: 'vrrp or arp' }));
  t.same(argv.slice(argv.indexOf('timeout')), ['timeout', '-s', 'INT', '9', 'tcpdump', '-i', 'eth0', '-U', '-w', '-', '-c', '3', '--', 'vrrp', 'or', 'arp']);
  t.same(argv.slice(0, 2), ['nsenter', '--net=/run/netns/vm1'], "in the node's network namespace");
  const tap = lab.nodes.flatMap((n) => n.ports.flatMap((p) => (p.type === 'veth' ? [p.bridgePort] : [])))[0];
  t.same(
    captureArgv(captureSite(lab, 'ovs', tap), checkOptions({})),
    ['ip', 'netns', 'exec', lab.switch.namespace, 'tcpdump', '-i', tap, '-n', '-l', '--'],
    "a switch's port: a command on the switch, in its namespace",
  );
});

t.test('on the command line: help, and a bad option refused before root or a lab is looked for', async (t) => {
  t.match(lablb('--help').out, /capture \[lab\] <node:port>/);
  t.match(lablb('capture', '--help').out, /wireshark -k -i -/);
  const r = lablb('capture', 'vm1:eth0', '--count', 'many');
  t.equal(r.code, 2);
  t.match(r.err, /--count: "many" is not a whole number/);
  t.match(lablb('capture').err, /capture takes \[lab\] node:port/);
  t.match(lablb('capture', 'a', 'b', 'c').err, /capture takes \[lab\] node:port/);
  t.match(lablb('capture', 'vm1:eth0', '--set', 'x=1').err, /capture does not take --set/);
});
