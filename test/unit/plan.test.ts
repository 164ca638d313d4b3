import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { allOps, heredoc, opToShell, planToShell, type Op } from '../../src/kinds/ops.js';
import { shellQuote } from '../../src/shell.js';
import { buildPlan } from '../../src/plan/plan.js';
import { loadFixtureLab, ROOT } from '../helpers.js';

const lab = loadFixtureLab();
const netdev = buildPlan(lab, { datapath: 'netdev' });
const system = buildPlan(lab, { datapath: 'system' });
const lines = (ops: Op[]) => ops.map(opToShell);

t.test('the whole plan, as `up --explain` prints it', async (t) => {
  // Paths of this checkout and of node differ between machines; the rest must not.
  const text = planToShell(netdev).replaceAll(ROOT.replace(/\/$/, ''), '<lablb>').replaceAll(process.execPath, 'node');
  // A plain file rather than tap's snapshot, so the mutation suite (a bundle) checks it too.
  const expected = join(ROOT, 'test', 'fixtures', 'plan-explain.txt');
  if (process.env.LABLB_UPDATE_FIXTURES) writeFileSync(expected, text);
  t.equal(text, readFileSync(expected, 'utf8'), 'LABLB_UPDATE_FIXTURES=1 rewrites test/fixtures/plan-explain.txt; read the diff');
});

t.test("the switch's namespace, and the members' in one ip -batch, each journaled", async (t) => {
  for (const [id, names] of [
    ['namespaces', ['lablb-floating-ip-lb']],
    ['members:netns', ['vm1', 'vm2', 'qlbaas-01', 'qrouter01', 'ext']],
  ] as const) {
    const task = netdev.tasks.find((x) => x.id === id)!;
    t.same(task.after, [], 'nothing to wait for');
    t.equal(task.ops.length, 1);
    const first = task.ops[0];
    t.equal(first.kind, 'run');
    if (first.kind !== 'run') return;
    t.same(first.argv, ['ip', '-batch', '-']);
    t.equal(first.input, names.map((n) => `netns add ${n}`).join('\n'));
    t.same(
      first.creates,
      names.map((name) => ({ kind: 'netns', name })),
    );
  }
  const task = netdev.tasks.find((x) => x.id === 'switch-ipv6')!;
  t.same(task.after, ['namespaces']);
  t.notOk(
    netdev.tasks.some((x) => x.after.includes('switch-ipv6')),
    'nothing in a small lab waits for it',
  );
  const ipv6 = task.ops[0];
  t.same(
    ipv6.kind === 'run' && ipv6.argv,
    ['nsenter', '--net=/run/netns/lablb-floating-ip-lb', 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1'],
    "IPv6 off in the switch's namespace (default too: its devices come after)",
  );
});

t.test('in a large lab, the switch waits for nodes wired by veths only: not for one whose port it makes, nor one with no port', async (t) => {
  const { parse, stringify } = await import('yaml');
  const doc = parse(readFileSync(join(ROOT, 'scenarios', 'floating-ip-lb.yaml'), 'utf8')) as { nodes: unknown[] };
  for (let i = 1; i <= 100; i++)
    doc.nodes.push({
      name: `extra${i}`,
      role: 'vm',
      ports: [{ name: 'eth0', network: 'tenant1-net', address: `10.0.0.${100 + i}`, bridge_port: `tap-x${i}` }],
    });
  doc.nodes.push({ name: 'lonely', role: 'vm', ports: [] });
  const { labFromText } = await import('../helpers.js');
  const plan = buildPlan(labFromText(stringify(doc)), { datapath: 'netdev' });
  const after = plan.tasks.find((x) => x.id === 'switch')!.after;
  for (const node of ['vm1', 'ext', 'extra1', 'extra100']) t.ok(after.includes(`node:${node}`) && after.includes(`offload:${node}`), `after ${node}`);
  for (const node of ['qlbaas-01', 'qrouter01', 'lonely']) t.notOk(after.includes(`node:${node}`), `not after ${node}`);
});

t.test("a node whose port OVS makes sets its namespace's sysctls before the port comes, its port's own after", async (t) => {
  const { parse, stringify } = await import('yaml');
  const doc = parse(readFileSync(join(ROOT, 'scenarios', 'floating-ip-lb.yaml'), 'utf8')) as { nodes: { name: string; sysctls?: Record<string, number> }[] };
  const router = doc.nodes.find((n) => n.name === 'qrouter01')!;
  router.sysctls = { ...router.sysctls, 'net.ipv4.conf.qg01.arp_ignore': 1 };
  doc.nodes.find((n) => n.name === 'vm1')!.sysctls = { 'net.ipv4.conf.all.rp_filter': 0 };
  const { labFromText } = await import('../helpers.js');
  const lab = labFromText(stringify(doc));
  // A kind's own, in the slash form that names a device with a dot (DVR's send_redirects).
  lab.nodes.find((n) => n.name === 'qrouter01')!.sysctls.push(['net/ipv4/conf/qr01/send_redirects', '0']);
  const plan = buildPlan(lab, { datapath: 'netdev' });
  const sysctl = (id: string) => lines(plan.tasks.find((x) => x.id === id)!.ops).filter((l) => l.includes('sysctl'));
  t.same(sysctl('sysctls:qrouter01'), ['nsenter --net=/run/netns/qrouter01 sysctl -q -w net.ipv4.ip_forward=1']);
  t.same(sysctl('node:qrouter01'), ['nsenter --net=/run/netns/qrouter01 sysctl -q -w net.ipv4.conf.qg01.arp_ignore=1 net/ipv4/conf/qr01/send_redirects=0']);
  // A node wired by a veth has its port from the start: one task, as before.
  t.notOk(plan.tasks.some((x) => x.id === 'sysctls:vm1'));
  t.same(sysctl('node:vm1'), ['nsenter --net=/run/netns/vm1 sysctl -q -w net.ipv4.conf.all.rp_filter=0']);
  t.match(plan.tasks.find((x) => x.id === 'node:vm1')!.title, /^vm1: sysctls, addresses, routes$/);
  t.match(plan.tasks.find((x) => x.id === 'node:qlbaas-01')!.title, /^qlbaas-01: addresses, routes$/, 'its sysctls went first');
});

t.test('ovs-vswitchd starts at once in a small lab, after the veth-wired nodes are up in a large one', async (t) => {
  const { loadScenarioFile } = await import('../../src/scenario/load.js');
  const { resolveLab } = await import('../../src/scenario/resolve.js');
  t.same(netdev.tasks.find((x) => x.id === 'switch')!.after, ['namespaces', 'ovsdb'], 'floating-ip-lb: its start-up beside the nodes');
  const routers = (n: number) =>
    resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'scale-routers.yaml'), new Map([['routers', n]])), { stateRoot: '/run/lablb' });
  t.same(buildPlan(routers(33), { datapath: 'netdev' }).tasks.find((x) => x.id === 'switch')!.after, ['namespaces', 'ovsdb'], '100 ports: not yet many');
  for (const datapath of ['netdev', 'system'] as const) {
    const plan = buildPlan(routers(34), { datapath });
    const after = plan.tasks.find((x) => x.id === 'switch')!.after;
    const ids = new Set(plan.tasks.map((x) => x.id));
    t.ok(
      after.every((id) => ids.has(id)),
      `${datapath}: every task it waits for is in the plan`,
    );
    const offloaded = datapath === 'netdev';
    t.equal(after.includes('offload'), offloaded, `${datapath}: the switch's own ends offloaded first`);
    t.ok(after.includes('switch-ipv6'), `${datapath}: IPv6 off in its namespace first`);
    for (const node of ['ext', 'vm-1', 'qrouter-34']) {
      t.ok(after.includes(`node:${node}`), `${datapath}: after node:${node}`);
      t.equal(after.includes(`offload:${node}`), offloaded, `${datapath}: offload:${node}`);
    }
    t.equal(after.length, 3 + 69 * (offloaded ? 2 : 1) + (offloaded ? 1 : 0), `${datapath}: 69 nodes, nothing else`);
  }
});

t.test('all bridges and ports in one ovs-vsctl transaction', async (t) => {
  const vsctl = allOps(netdev).filter((op) => op.kind === 'run' && op.argv[0] === 'ovs-vsctl' && op.argv.includes('add-br'));
  t.equal(vsctl.length, 1);
  const text = lines(vsctl)[0];
  t.match(text, /add-port br-int tap04 tag=1 -- set interface tap04 type=internal/);
  t.match(text, /add-port br-ex qg01 -- set interface qg01 type=internal/);
  t.match(text, /add-port br-ex eth3( |$)/, 'the article plugs eth3 into br-ex');
  t.match(text, /datapath_type=netdev/);
});

t.test('daemons carry their token and are journaled', async (t) => {
  const daemons = allOps(netdev).filter((op) => 'creates' in op && op.creates?.some((c) => c.kind === 'process'));
  const names = daemons.flatMap((op) => ('creates' in op ? (op.creates ?? []) : []).map((c) => (c.kind === 'process' ? c.token : '')));
  t.same(names, [
    'floating-ip-lb/lablb-floating-ip-lb/ovsdb-server',
    'floating-ip-lb/lablb-floating-ip-lb/ovs-vswitchd',
    'floating-ip-lb/vm1/web',
    'floating-ip-lb/vm2/web',
    'floating-ip-lb/qlbaas-01/lb/arping',
    'floating-ip-lb/qlbaas-01/lb',
    'floating-ip-lb/ext/whoami',
  ]);
  for (const op of daemons) {
    if (op.kind === 'run' || op.kind === 'daemon' || op.kind === 'spawn') t.match(op.env?.LABLB_TOKEN, /^floating-ip-lb\//);
  }
});

t.test('the VIP port is announced by gratuitous ARP, as Neutron and the article do, in the background', async (t) => {
  const arping = allOps(netdev).filter((op) => op.kind === 'spawn');
  t.same(
    lines(arping),
    ['ip netns exec qlbaas-01 arping -U -I tap04 -c 3 10.0.0.100 >>/run/lablb/floating-ip-lb/nodes/qlbaas-01/lb.arping.log 2>&1 &'].map(
      (l) => `LABLB_TOKEN=floating-ip-lb/qlbaas-01/lb/arping ${l}`,
    ),
  );
});

t.test('each task waits for exactly what it needs', async (t) => {
  // The bridges are written while ovs-vswitchd starts; what moves a port waits until it has
  // made every one (an OpenFlow number each), bounded.
  const made = netdev.tasks.find((x) => x.id === 'bridges')!.ops[0];
  t.match(made, { kind: 'run', argv: ['ovs-vsctl', /--db=unix:/, '--timeout=10', '--', 'wait-until', 'Interface', 'tapvm1', 'ofport>0'] });
  t.equal(made.kind === 'run' ? made.argv.filter((a) => a === 'wait-until').length : 0, 6, 'every port of the lab');
  t.match(netdev.tasks.find((x) => x.id === 'bridges-db')!.ops[0], { argv: ['ovs-vsctl', /--db=unix:/, '--no-wait', '--', 'init'] });
  const after = Object.fromEntries(netdev.tasks.map((task) => [task.id, task.after]));
  t.same(
    after,
    {
      'state-dir': [],
      namespaces: [],
      'switch-ipv6': ['namespaces'],
      'members:netns': [],
      ovsdb: ['state-dir'],
      switch: ['namespaces', 'ovsdb'],
      veths: ['namespaces', 'members:netns'],
      offload: ['veths'],
      'bridges-db': ['ovsdb'],
      bridges: ['switch', 'bridges-db'],
      'move:tap04': ['bridges'],
      'move:qr01': ['bridges'],
      'move:qg01': ['bridges'],
      'node:vm1': ['veths'],
      'offload:vm1': ['node:vm1'],
      'node:vm2': ['veths'],
      'offload:vm2': ['node:vm2'],
      'sysctls:qlbaas-01': ['members:netns'],
      'node:qlbaas-01': ['move:tap04', 'sysctls:qlbaas-01'],
      'offload:qlbaas-01': ['node:qlbaas-01'],
      'sysctls:qrouter01': ['members:netns'],
      'node:qrouter01': ['move:qr01', 'move:qg01', 'sysctls:qrouter01'],
      'offload:qrouter01': ['node:qrouter01'],
      'node:ext': ['veths'],
      'offload:ext': ['node:ext'],
      'service:vm1/web': ['node:vm1'],
      'service:vm2/web': ['node:vm2'],
      'service:qlbaas-01/lb': ['node:qlbaas-01', 'service:vm1/web', 'service:vm2/web'],
      'service:ext/whoami': ['node:ext'],
      'service:qrouter01/l3': ['node:qrouter01'],
    },
    'haproxy starts after the servers it checks; VMs do not wait for OVS; a node whose port OVS makes sets its sysctls meanwhile',
  );
  const seen = new Set<string>();
  for (const task of netdev.tasks) {
    t.ok(
      task.after.every((d) => seen.has(d)),
      `${task.id} is listed after its dependencies`,
    );
    seen.add(task.id);
  }
});

t.test('the userspace datapath turns TX checksum offload off; no datapath loads a kernel module', async (t) => {
  const ethtool = lines(allOps(netdev))
    .flatMap((l) => l.split('\n'))
    .filter((l) => / tx off$/.test(l));
  t.equal(ethtool.length, 9, 'every end that touches a bridge: 3 veth bridge ends + 6 namespace ends');
  t.same(
    lines(allOps(system)).filter((l) => l.includes('ethtool')),
    [],
  );
  // A module outlives the lab and changes the whole host: the user loads it, lablb never does.
  for (const plan of [system, netdev])
    t.same(
      lines(allOps(plan)).filter((l) => /modprobe|insmod/.test(l)),
      [],
    );
});

t.test('the floating IP goes on the gateway port as a /32', async (t) => {
  t.match(lines(allOps(netdev)).join('\n'), /addr add 10\.255\.253\.100\/32 dev qg01/);
});

t.test('shell quoting', async (t) => {
  t.equal(shellQuote('plain-word_1.2/x:y'), 'plain-word_1.2/x:y');
  t.equal(shellQuote(''), "''");
  t.equal(shellQuote("it's"), `'it'\\''s'`);
  t.equal(shellQuote('a b'), "'a b'");
});

t.test('a config line "EOF" cannot end the printed here-document early', async (t) => {
  t.same(heredoc('a\nb\n'), { marker: 'EOF', body: 'a\nb' });
  const tricky = heredoc('x\nEOF\nrm -rf /\nEOF_LABLB_1\n');
  t.equal(tricky.marker, 'EOF_LABLB_2');
  const text = opToShell({ kind: 'write', path: '/tmp/x.conf', content: 'x\nEOF\nrm -rf /\n' });
  t.equal(text, "cat > /tmp/x.conf <<'EOF_LABLB_1'\nx\nEOF\nrm -rf /\nEOF_LABLB_1");
});

t.test('each link type wires its port and knows how to unwire it', async (t) => {
  const { linkType } = await import('../../src/links/links.js');
  const vm1 = lab.nodes.find((n) => n.name === 'vm1')!.ports[0];
  const tap04 = lab.nodes.find((n) => n.name === 'qlbaas-01')!.ports[0];
  t.same(linkType(vm1).make(vm1), ['link add tapvm1 type veth peer name eth0 netns vm1', 'link set tapvm1 up']);
  t.same(linkType(vm1).unwire(lab, vm1), [
    ['ovs-vsctl', '--db=unix:/run/lablb/floating-ip-lb/ovs/db.sock', '--if-exists', 'del-port', 'br-int', 'tapvm1'],
    ['ip', '-n', 'lablb-floating-ip-lb', 'link', 'del', 'tapvm1'],
  ]);
  t.same(linkType(tap04).make(tap04), [], 'ovs-vswitchd makes an internal port');
  t.same(linkType(tap04).bridgeDevice(tap04), undefined);
  t.same(linkType(tap04).unwire(lab, tap04), [['ovs-vsctl', '--db=unix:/run/lablb/floating-ip-lb/ovs/db.sock', '--if-exists', 'del-port', 'br-int', 'tap04']]);
});

t.test('an HA router: keepalived adds its qr/qg addresses and floating IP, so up does not', async (t) => {
  const { loadScenarioFile } = await import('../../src/scenario/load.js');
  const { resolveLab } = await import('../../src/scenario/resolve.js');
  const l3 = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha.yaml')), { stateRoot: '/run/lablb' });
  const text = lines(allOps(buildPlan(l3, { datapath: 'netdev' }))).join('\n');
  t.match(
    text,
    /addr add 169\.254\.192\.1\/18 brd 169\.254\.255\.255 dev ha-n1\nlink set ha-n1 up\nlink set dev qr-n1 address fa:16:3e:00:01:01\nlink set qr-n1 up\n/,
  );
  t.notMatch(text, /addr add 10\.0\.0\.1\//);
  t.notMatch(text, /addr add 10\.255\.253\.100\/32/);
  t.match(text, /-A neutron-l3-agent-snat -s 10\.0\.0\.0\/24 -j SNAT --to-source 10\.255\.253\.10/, 'the NAT rules are in both routers all the time');
});

t.test('more than 100 ports go onto the bridges as OVSDB transactions of at most 250 ports', async (t) => {
  const { loadScenarioFile } = await import('../../src/scenario/load.js');
  const { resolveLab } = await import('../../src/scenario/resolve.js');
  const lab = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'scale-routers.yaml'), new Map([['routers', 200]])), { stateRoot: '/run/lablb' });
  const plan = buildPlan(lab, { datapath: 'netdev' });
  const ops = plan.tasks.find((x) => x.id === 'bridges-db')!.ops;
  const argvs = ops.map((op) => (op.kind === 'run' ? op.argv : []));
  t.match(
    argvs[0].join(' '),
    /^ovs-vsctl .* init -- --may-exist add-br br-int .* add-br br-ex -- set bridge br-ex datapath_type=netdev$/,
    'the bridges as the articles type them',
  );
  t.equal(argvs.length, 1 + Math.ceil(601 / 250), 'then 601 ports in three transactions');
  const inserted: string[] = [];
  for (const argv of argvs.slice(1)) {
    t.same(argv.slice(0, 3), ['ovsdb-client', 'transact', 'unix:/run/lablb/scale-routers/ovs/db.sock']);
    t.ok(argv[3].length < 128 * 1024, 'each transaction fits in one argument');
    const [db, ...txn] = JSON.parse(argv[3]) as [string, ...{ op: string; table: string; row?: { name: string; tag?: number }; mutations?: unknown[] }[]];
    t.equal(db, 'Open_vSwitch');
    const ports = txn.filter((o) => o.op === 'insert' && o.table === 'Port');
    inserted.push(...ports.map((p) => p.row!.name));
    // Every port a bridge's set gains is one this transaction inserted.
    const joined = txn
      .filter((o) => o.op === 'mutate')
      .flatMap((o) => (o.mutations as [string, string, [string, [string, string][]]][])[0][2][1].map((u) => u[1]));
    t.equal(joined.length, ports.length);
  }
  t.equal(inserted.length, 601);
  t.ok(inserted.includes('qr-200') && inserted.includes('tap-1') && inserted.includes('ext-gw'));
  const tap7 = argvs
    .slice(1)
    .flatMap((a) => JSON.parse(a[3]) as { table?: string; row?: { name: string; tag?: number } }[])
    .find((o) => o.table === 'Port' && o.row?.name === 'tap-7');
  t.equal(tap7?.row?.tag, 7, 'a tenant port keeps its local VLAN');
  const wait = plan.tasks.find((x) => x.id === 'bridges')!.ops[0];
  t.match(wait.kind === 'run' && wait.argv.join(' '), /--timeout=28 /, 'the wait for ovs-vswitchd grows with the ports: 10 s + 3 s per 100');
  t.equal(wait.kind === 'run' && wait.timeoutMs, 38_000, "and lablb's bound on it is past ovs-vsctl's own");
});

t.test('where the switch starts late, what talks at once (VRRP) starts once the ports are made; the rest does not wait', async (t) => {
  const { loadScenarioFile } = await import('../../src/scenario/load.js');
  const { resolveLab } = await import('../../src/scenario/resolve.js');
  const ha = (n: number) =>
    buildPlan(resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'scale-l3-ha.yaml'), new Map([['routers', n]])), { stateRoot: '/run/lablb' }), {
      datapath: 'netdev',
    });
  const waits = (plan: ReturnType<typeof ha>, kind: RegExp) => plan.tasks.filter((x) => kind.test(x.title)).map((x) => x.after.includes('bridges'));
  const large = ha(30);
  t.ok(large.tasks.find((x) => x.id === 'switch')!.after.length > 2, 'a large lab: the switch starts late');
  const vrrp = waits(large, /keepalived/);
  t.equal(vrrp.length, 60);
  t.ok(vrrp.every(Boolean), 'every keepalived after the ports');
  const nat = waits(large, /l3-agent/);
  t.ok(nat.length > 0 && nat.every((x) => !x), 'the NAT rules go in meanwhile');
  const hosts = buildPlan(resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'l3-ha-l2pop.yaml')), { stateRoot: '/run/lablb' }), { datapath: 'netdev' });
  t.ok(
    hosts.tasks.filter((x) => /keepalived/.test(x.title)).every((x) => !x.after.includes('bridges')),
    "a lab of hosts: each host's switch starts at once",
  );
  const small = ha(2);
  t.same(small.tasks.find((x) => x.id === 'switch')!.after, ['namespaces', 'ovsdb']);
  t.ok(
    waits(small, /keepalived/).every((x) => !x),
    'a small lab: its switch is up long before',
  );
});

t.test('in every shipped scenario, each task waits only for tasks of its plan', async (t) => {
  const { readdirSync } = await import('node:fs');
  const { loadScenarioFile } = await import('../../src/scenario/load.js');
  const { resolveLab } = await import('../../src/scenario/resolve.js');
  for (const file of readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml'))) {
    const plan = buildPlan(resolveLab(loadScenarioFile(join(ROOT, 'scenarios', file)), { stateRoot: '/run/lablb' }), { datapath: 'netdev' });
    const ids = new Set(plan.tasks.map((x) => x.id));
    const unknown = plan.tasks.flatMap((x) => x.after.filter((d) => !ids.has(d)).map((d) => `${x.id} -> ${d}`));
    t.same(unknown, [], file);
  }
});
