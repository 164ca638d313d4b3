// `lablb trace`: what xtables-monitor, ofproto/trace, dpif/show and ip say, read as this
// machine's tools printed them; the packet through NAT; the drop named by port security's
// cookie; the TRACE rules each with its undo; and every mistake in the command line, named.
import t from 'tap';
import { parseDpifShow, parseNeighbour, parseOfprotoTrace, parseRouteGet, parseXtablesTrace } from '../../src/trace/parse.js';
import { dropVerdict, flowOf, natted, senderArgv, tracePacket, traceRuleOps } from '../../src/trace/trace.js';
import type { Op } from '../../src/kinds/ops.js';
import { fakeHost } from '../fake-host.js';
import { parseDestination } from '../../src/commands/trace.js';
import { dropCookie } from '../../src/security/flows.js';
import { loadFixtureLab } from '../helpers.js';

// A SYN from ext to the floating IP, as qrouter01's xtables-monitor printed it.
const QROUTER = `PACKET: 2 eabfebbc IN=qg01 MACSRC=3e:b2:59:f7:62:5b MACDST=fa:d0:b7:84:5b:c4 MACPROTO=0800 SRC=10.255.253.1 DST=10.255.253.100 LEN=60 TOS=0x0 TTL=64 ID=5714 DF SPORT=47127 DPORT=80 SYN 
 TRACE: 2 eabfebbc raw:PREROUTING:rule:0x5:CONTINUE  -4 -t raw -A PREROUTING -p tcp -m tcp --sport 47127 --tcp-flags FIN,SYN,RST,ACK SYN -j TRACE
 TRACE: 2 eabfebbc raw:PREROUTING:policy:ACCEPT 
PACKET: 2 eabfebbc IN=qg01 MACSRC=3e:b2:59:f7:62:5b MACDST=fa:d0:b7:84:5b:c4 MACPROTO=0800 SRC=10.255.253.1 DST=10.255.253.100 LEN=60 TOS=0x0 TTL=64 ID=5714 DF SPORT=47127 DPORT=80 SYN 
 TRACE: 2 eabfebbc nat:PREROUTING:rule:0x8:JUMP:neutron-l3-agent-PREROUTING  -4 -t nat -A PREROUTING -j neutron-l3-agent-PREROUTING
 TRACE: 2 eabfebbc nat:neutron-l3-agent-PREROUTING:rule:0x12:ACCEPT  -4 -t nat -A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
PACKET: 2 eabfebbc IN=qg01 OUT=qr01 MACSRC=3e:b2:59:f7:62:5b MACDST=fa:d0:b7:84:5b:c4 MACPROTO=0800 SRC=10.255.253.1 DST=10.0.0.100 LEN=60 TOS=0x0 TTL=63 ID=5714 DF SPORT=47127 DPORT=80 SYN 
 TRACE: 2 eabfebbc filter:FORWARD:rule:0x9:JUMP:neutron-filter-top  -4 -t filter -A FORWARD -j neutron-filter-top
 TRACE: 2 eabfebbc filter:neutron-l3-agent-FORWARD:return:
 TRACE: 2 eabfebbc filter:FORWARD:rule:0x11:DROP  -4 -t filter -A FORWARD -p tcp -j DROP
`;

// keepalived01's ARP reply for the VIP, as ofproto/trace printed it.
const ARP_DROP = `Flow: arp,in_port=1,vlan_tci=0x0000,dl_src=fa:16:3e:c8:00:c1,dl_dst=fa:16:3e:c8:00:0a,arp_spa=172.16.200.251,arp_tpa=172.16.200.10,arp_op=2,arp_sha=fa:16:3e:c8:00:c1,arp_tha=fa:16:3e:c8:00:0a

bridge("br-int")
----------------
 0. arp,in_port=1, priority 10
    resubmit(,24)
24. arp,in_port=1, priority 1, cookie 0x5ec00011
    drop

Final flow: unchanged
Megaflow: recirc_id=0,eth,arp,in_port=1,arp_spa=172.16.200.251
Datapath actions: drop
`;

// A SYN through the security group's conntrack: recirculated, then out of port 1.
const THROUGH_CT = `bridge("br-int")
----------------
 0. in_port=3, priority 9
    resubmit(,25)
60. ip,in_port=3, priority 90
    load:0x1->NXM_NX_REG6[]
    ct(table=61,zone=1)
    drop
     -> A clone of the packet is forked to recirculate. The forked pipeline will be resumed at table 61.

Final flow: unchanged
Datapath actions: ct(zone=1),recirc(0x1)

===============================================================================
recirc(0x1) - resume conntrack with default ct_state=trk|new (use --ct-next to customize)
===============================================================================

bridge("br-int")
----------------
    thaw
        Resuming from table 61
81. tcp,reg5=0x1, priority 50
    ct(commit,zone=1)
    drop
     -> Sets the packet to an untracked state, and clears all the conntrack fields.
    output:1

Final flow: unchanged
Datapath actions: ct(commit,zone=1),1
`;

const DPIF = `netdev@ovs-netdev: hit:102 missed:38
  br-ex:
    br-ex 65534/1: (tap)
    eth3 2/3: (system)
    qg01 1/2: (tap)
  br-int:
    qr01 1/4: (tap)
    tap04 4/8: (tap)
`;

t.test("parseXtablesTrace: each hook's packet, and each rule with its verdict", async (t) => {
  const e = parseXtablesTrace(QROUTER);
  t.same(e[0], { kind: 'packet', packet: { in: 'qg01', out: undefined, src: '10.255.253.1', dst: '10.255.253.100', sport: 47127, dport: 80 } });
  t.same(e[1], {
    kind: 'rule',
    table: 'raw',
    chain: 'PREROUTING',
    verdict: 'CONTINUE',
    rule: '-A PREROUTING -p tcp -m tcp --sport 47127 --tcp-flags FIN,SYN,RST,ACK SYN -j TRACE',
  });
  t.same(e[2], { kind: 'rule', table: 'raw', chain: 'PREROUTING', verdict: 'ACCEPT' }, 'a policy');
  t.same(e[5], {
    kind: 'rule',
    table: 'nat',
    chain: 'neutron-l3-agent-PREROUTING',
    verdict: 'ACCEPT',
    rule: '-A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100',
  });
  t.match(e[6], { kind: 'packet', packet: { in: 'qg01', out: 'qr01', dst: '10.0.0.100' } }, 'routed, after DNAT');
  t.same(e[8], { kind: 'rule', table: 'filter', chain: 'neutron-l3-agent-FORWARD', verdict: 'RETURN' });
  t.equal(e.length, 10);
  t.same(parseXtablesTrace('noise\n'), []);
});

t.test('parseOfprotoTrace: the flows in order, the drop with its cookie, the outputs after recirculation', async (t) => {
  const arp = parseOfprotoTrace(ARP_DROP);
  t.same(arp.flows, ['br-int table 0: arp,in_port=1, priority 10 -> resubmit(,24)', 'br-int table 24: arp,in_port=1, priority 1, cookie 0x5ec00011 -> drop']);
  t.same(arp.outputs, []);
  t.same(arp.drop, { bridge: 'br-int', table: 24, cookie: 0x5ec00011, flow: arp.flows[1] });
  const ct = parseOfprotoTrace(THROUGH_CT);
  t.same(ct.outputs, [1]);
  t.notOk(ct.drop, 'through conntrack is no drop');
  t.same(ct.flows[1], 'br-int table 60: ip,in_port=3, priority 90 -> load:0x1->NXM_NX_REG6[], ct(table=61,zone=1)', "the ct clone's drop left out");
  t.same(ct.flows[2], 'br-int table 81: tcp,reg5=0x1, priority 50 -> ct(commit,zone=1), output:1');
  t.same(parseOfprotoTrace('bridge("br-ex")\n 0. priority 0\n    NORMAL\n     -> forwarding to learned port\n\nDatapath actions: 2\n').outputs, [2]);
  t.same(parseOfprotoTrace('bridge("br-ex")\n 0. priority 0\n    NORMAL\n\nDatapath actions: 2,3,push_vlan(vid=1,pcp=0),5\n').outputs, [2, 3, 5]);
  t.notOk(parseOfprotoTrace('Datapath actions: drop\n').drop, 'no flow: nothing to name');
});

t.test('parseDpifShow, parseRouteGet, parseNeighbour', async (t) => {
  const ports = parseDpifShow(DPIF);
  t.same(ports.get(2), { bridge: 'br-ex', port: 'qg01' });
  t.same(ports.get(8), { bridge: 'br-int', port: 'tap04' });
  t.equal(ports.size, 5);
  t.same(parseRouteGet('[{"dst":"10.255.253.1","gateway":"10.0.0.1","dev":"eth0","prefsrc":"10.0.0.81","flags":[],"uid":0,"cache":[]}]'), {
    dev: 'eth0',
    gateway: '10.0.0.1',
    prefsrc: '10.0.0.81',
  });
  t.same(parseRouteGet('[{"type":"local","dst":"10.0.0.100","dev":"lo"}]'), { dev: 'lo', type: 'local' });
  t.equal(parseRouteGet(''), undefined);
  t.equal(parseRouteGet('[]'), undefined);
  t.same(parseNeighbour('[{"dst":"10.255.253.100","dev":"eth3","lladdr":"fa:d0:b7:84:5b:c4","state":["REACHABLE"]}]'), {
    mac: 'fa:d0:b7:84:5b:c4',
    state: 'REACHABLE',
  });
  t.same(parseNeighbour('[{"dst":"172.16.200.251","dev":"eth0","state":["INCOMPLETE"]}]'), { state: 'INCOMPLETE' });
  t.equal(parseNeighbour('[]'), undefined);
  t.equal(parseNeighbour('oops'), undefined);
});

t.test('natted: DNAT moves the destination (and port), SNAT the source', async (t) => {
  const p = { src: '10.0.0.81', dst: '10.255.253.1', sport: 5, dport: 80 };
  t.same(natted(p, '-A x -s 10.0.0.0/24 -j SNAT --to-source 10.255.253.10'), { ...p, src: '10.255.253.10' });
  t.same(natted(p, '-A x -d 10.255.253.1/32 -j DNAT --to-destination 10.0.0.100:8080'), { ...p, dst: '10.0.0.100', dport: 8080 });
  t.same(natted(p, '-A x -j ACCEPT'), p);
});

t.test('flowOf: the packet as ofproto/trace takes it; the answer reversed', async (t) => {
  const req = { from: 'ext', to: '10.255.253.100', port: 80, sport: 40000 };
  t.equal(
    flowOf('eth3', 'aa:aa:aa:aa:aa:aa', 'bb:bb:bb:bb:bb:bb', { src: '10.255.253.1', dst: '10.255.253.100', sport: 40000, dport: 80 }, req),
    'in_port=eth3,tcp,tp_src=40000,tp_dst=80,tcp_flags=syn,dl_src=aa:aa:aa:aa:aa:aa,dl_dst=bb:bb:bb:bb:bb:bb,nw_src=10.255.253.1,nw_dst=10.255.253.100,nw_ttl=64',
  );
  t.match(
    flowOf('tap04', 'a', 'b', { src: '10.0.0.100', dst: '10.255.253.1', sport: 80, dport: 40000 }, req, true),
    'tcp,tp_src=80,tp_dst=40000,tcp_flags=syn|ack',
  );
  const ping = { from: 'vm1', to: '10.255.253.1', sport: 40000 };
  t.match(flowOf('tapvm1', 'a', 'b', { src: '10.0.0.81', dst: '10.255.253.1' }, ping), 'in_port=tapvm1,icmp,icmp_type=8,icmp_code=0');
  t.match(flowOf('eth3', 'a', 'b', { src: '10.255.253.1', dst: '10.0.0.81' }, ping, true), 'icmp,icmp_type=0');
});

t.test("dropVerdict: port security's drop by its reason and port; another flow by its table", async (t) => {
  const lab = loadFixtureLab();
  const ports = lab.nodes.flatMap((n) => n.ports.map((p) => `${n.name}/${p.name}`));
  const verdict = dropVerdict({ bridge: 'br-int', table: 24, cookie: dropCookie(2, 'arp-spoof'), flow: 'f' }, lab);
  t.equal(
    verdict,
    `dropped on br-int in table 24: ARP from an address it was not given (table 24), the drop flow of ${ports[1]}'s port security (cookie 0x${dropCookie(2, 'arp-spoof').toString(16)})`,
  );
  t.match(
    dropVerdict({ bridge: 'br-int', table: 25, cookie: dropCookie(1, 'ip-spoof'), flow: 'f' }, lab),
    `IP from an address it was not given (table 25), the drop flow of ${ports[0]}'s`,
  );
  t.equal(dropVerdict({ bridge: 'br-ex', table: 0, flow: 'f' }, lab), 'dropped on br-ex in table 0');
  t.equal(dropVerdict({ bridge: 'br-ex', table: 3, cookie: 0x1234, flow: 'f' }, lab), 'dropped on br-ex in table 3', 'a cookie not port security’s');
});

t.test('the TRACE rules in the raw table, each with its undo, and the packet that is sent', async (t) => {
  const lab = loadFixtureLab();
  const ext = lab.nodes.find((n) => n.name === 'ext')!;
  const ops = traceRuleOps(ext, { from: 'ext', to: '10.255.253.100', port: 80, sport: 41000 });
  t.equal(ops.length, 2);
  const [pre] = ops as { argv: string[]; undo: { id: string; argv: string[] } }[];
  t.same(pre.argv.slice(-14), ['iptables', '-w', '-t', 'raw', '-I', 'PREROUTING', '1', '-p', 'tcp', '--sport', '41000', '--syn', '-j', 'TRACE']);
  t.same(pre.undo.argv.slice(-11), ['-t', 'raw', '-D', 'PREROUTING', '-p', 'tcp', '--sport', '41000', '--syn', '-j', 'TRACE']);
  t.equal(pre.undo.id, 'trace-41000:ext:PREROUTING');
  t.match(pre.argv.join(' '), /nsenter --net=\/run\/netns\/ext /, "in the node's network namespace");
  const icmp = traceRuleOps(ext, { from: 'ext', to: '10.0.0.81', sport: 41000 }) as { argv: string[] }[];
  t.match(icmp[1].argv.join(' '), '-I OUTPUT 1 -p icmp --icmp-type echo-request -j TRACE');
  t.same(senderArgv(ext, { from: 'ext', to: '10.255.253.100', port: 80, sport: 41000 }).slice(-6), [
    '-sv',
    '--max-time',
    '2',
    '--local-port',
    '41000',
    'telnet://10.255.253.100:80',
  ]);
  t.same(senderArgv(ext, { from: 'ext', to: '10.0.0.81', sport: 1 }).slice(-7), ['ping', '-n', '-c', '1', '-W', '2', '10.0.0.81']);
});

t.test('parseDestination and the command line: each mistake named', async (t) => {
  t.same(parseDestination('10.0.0.1:80'), { address: '10.0.0.1', port: 80 });
  t.same(parseDestination('10.0.0.1'), { address: '10.0.0.1' });
  t.throws(() => parseDestination(undefined), /trace needs --to ADDRESS\[:PORT\]/);
  t.throws(() => parseDestination('10.0.0.1:0'), /the port is from 1 to 65535/);
  t.throws(() => parseDestination('10.0.0.1:70000'), /the port is from 1 to 65535/);
  t.throws(() => parseDestination('10.0.0.300'), /an IPv4 address/);
  t.throws(() => parseDestination('host:80'), /an IPv4 address/);
  t.throws(() => parseDestination('10.0.0.1;reboot'), /an IPv4 address/);
});

t.test('the parsers at their edges: anchored lines, many digits, missing fields, spaces', async (t) => {
  const e = parseXtablesTrace(
    [
      'PACKET: 12 0a1b IN=eth0 SRC=10.0.0.1 DST=10.0.0.2 LEN=84 ICMP TYPE=8',
      'noise PACKET: 2 ab SRC=1.1.1.1 DST=2.2.2.2',
      'TRACE: 12 0a1b filter:INPUT:rule:0x1f:DROP  -4 -t filter -A INPUT -j DROP',
      'x TRACE: 2 ab filter:INPUT:policy:ACCEPT',
    ].join('\n'),
  );
  t.same(e, [
    { kind: 'packet', packet: { in: 'eth0', out: undefined, src: '10.0.0.1', dst: '10.0.0.2', sport: undefined, dport: undefined } },
    { kind: 'rule', table: 'filter', chain: 'INPUT', verdict: 'DROP', rule: '-A INPUT -j DROP' },
  ]);
  const noCookie = parseOfprotoTrace('bridge("br-x")\n 3. ip, priority 5\n    drop\n\nDatapath actions: drop\n');
  t.same(noCookie.drop, { bridge: 'br-x', table: 3, flow: 'br-x table 3: ip, priority 5 -> drop' }, 'no cookie, none said');
  t.notOk(parseOfprotoTrace('bridge("b")\n 0. priority 0\n    NORMAL\n').drop, 'no datapath line: not known to drop');
  t.notOk(parseOfprotoTrace('bridge("b")\n 0. priority 0\n    ct(table=1)\n\nDatapath actions: ct,recirc(0x1)\n').drop, 'recirculated: not dropped');
  t.ok(parseOfprotoTrace('bridge("b")\n 0. priority 0\n    set_field:1->reg0\n\nDatapath actions: set(skb_mark(0x1))\n').drop, 'no port to leave by: dropped');
  t.ok(parseOfprotoTrace('bridge("b")\n 0. priority 0\n    drop\n\nDatapath actions:  drop \n').drop);
  t.same(parseOfprotoTrace('Datapath actions: 2, 13,x13,13x\n').outputs, [2, 13], 'whole numbers only, spaces trimmed');
  t.same(parseOfprotoTrace('     -> 5. not a table\nDatapath actions: 1\n').flows, [], "a remark's number is no table");
  t.same(parseOfprotoTrace('x bridge("b")\nnoise Datapath actions: 7\n').outputs, [], 'lines anchored at their start');
  t.same(
    parseOfprotoTrace('bridge("b")\n 0. priority 0\n    output:2 ->\n     -> remark\n    -> not an action\n').flows,
    ['b table 0: priority 0 -> output:2 ->'],
    'remarks are no actions',
  );
  const ports = parseDpifShow('  br-int:\n    tap99 12/15: (system)\n    x   tap1 1/2: (tap)\n  br-int: extra\n');
  t.same([...ports], [[15, { bridge: 'br-int', port: 'tap99' }]]);
  t.same(parseNeighbour('[{"dst":"10.0.0.1","dev":"eth0","lladdr":"aa:aa:aa:aa:aa:aa"}]'), { mac: 'aa:aa:aa:aa:aa:aa', state: 'NONE' });
});

t.test('tracePacket: tagged, listened to, sent, untagged; every process with the lab token', async (t) => {
  const lab = loadFixtureLab();
  const ext = lab.nodes.find((n) => n.name === 'ext')!;
  const own = ext.ports[0].address;
  const host = fakeHost({
    stdout: { 'route get': `[{"type":"local","dst":"${own}","dev":"lo"}]`, 'dpif/show': DPIF },
    piped: (argv, print) => {
      // ext's netfilter sees the SYN leave by its own OUTPUT chain.
      const told = setTimeout(() => argv.includes('--net=/run/netns/ext') && print(' TRACE: 2 ab raw:OUTPUT:policy:ACCEPT '), 20);
      return () => clearTimeout(told);
    },
  });
  const envs: (Record<string, string> | undefined)[] = [];
  const spawnPiped = host.spawnPiped.bind(host);
  host.spawnPiped = (argv, opts) => (envs.push(opts.env), spawnPiped(argv, opts));
  const applied: Op[] = [];
  const r = await tracePacket(lab, { from: 'ext', to: own, port: 80, sport: 45000 }, { host, apply: async (ops) => void applied.push(...ops) });
  t.equal(envs.length, lab.nodes.length, 'a monitor in every node');
  t.same(
    envs.map((e) => e?.LABLB_TOKEN),
    lab.nodes.map((n) => `${lab.name}/${n.name}/trace-45000`),
    'each monitor tagged with the lab, node and trace: down and clean find one a crash left',
  );
  const tagged = applied.filter((o) => o.kind === 'run' && 'undo' in o && o.undo);
  const settled = applied.filter((o) => o.kind === 'run' && 'settles' in o && o.settles);
  t.equal(tagged.length, lab.nodes.length * 2, 'PREROUTING and OUTPUT in every node');
  t.same(
    settled.map((o) => (o as { settles: string }).settles),
    tagged.map((o) => (o as { undo: { id: string } }).undo.id),
    'every TRACE rule taken off again',
  );
  t.match(host.log.join('\n'), /run nsenter --net=\/run\/netns\/ext curl -sv --max-time 2 --local-port 45000 telnet:\/\//);
  t.equal(host.log.filter((l) => l === 'piped stop').length, lab.nodes.length, 'every monitor stopped');
  t.same(r.hops[0], { title: 'ext (sends it)', lines: ['iptables raw OUTPUT: policy -> ACCEPT', `${own} is ext's own address: delivered`] });
  t.equal(r.verdict, 'delivered to ext, but no connection was made');
  t.equal(r.dropped, true);
});
