// The amphora steps on the octavia scenario: each finds its amphora in the controller's
// database when it runs (by role, or as the one holding the VIP), and acts on exactly that
// amphora's port or process; the load balancer's failover asks Octavia's API. And the lab's
// API that the controller boots and deletes amphorae through.
import { join } from 'node:path';
import t from 'tap';
import type { AmphoraRow, OctaviaDb } from '../agents/octavia-templates.js';
import type { Facts } from '../kinds/facts.js';
import { opToShell } from '../kinds/ops.js';
import type { Lab, LabStep } from '../model.js';
import { labApiDaemonOps, serveLabApi } from '../experiment/lab-api.js';
import { resolvePort } from '../security/neutron-cli.js';
import { netns } from '../runtime/netns/netns.js';
import { loadScenarioFile } from '../scenario/load.js';
import { resolveLab, resolveRunTimeNode } from '../scenario/resolve.js';
import { fakeHost } from '../../test/fake-host.js';
import { ROOT } from '../../test/helpers.js';
import { harness } from '../../test/step-harness.js';
import { stepKindOf } from './all.js';

const MASTER = 'b07c2493-32de-4af0-bf88-abe3c54355ce';
const BACKUP = '57865deb-b8b6-45bc-a2d2-d231c7e011ae';
const LISTENER = '816339a8-2e17-4b61-8825-c6856d7b7f2e';

const labOf = () => resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'octavia.yaml')), { stateRoot: '/run/lablb' });

/** An amphora's two nodes as the controller asks for them, through the lab API's rules. */
function boot(lab: Lab, id: string, address: string): void {
  const node = `amphora-${id.slice(0, 8)}`;
  const blocks = [
    { name: `${node}-haproxy`, role: 'amphora', ports: [] },
    {
      name: node,
      role: 'amphora',
      ports: [{ name: 'eth0', network: 'lb-mgmt-net', address, bridge_port: `tap${id.slice(0, 8)}`, id: `${id.slice(0, 8)}-1111-4111-8111-111111111111` }],
      services: [
        {
          name: 'amphora-agent',
          kind: 'amphora-agent',
          amphora_id: id,
          listen: `${address}:9876`,
          controller: '192.168.0.3:5555',
          heartbeat_key: 'insecure',
          haproxy_namespace: `${node}-haproxy`,
        },
      ],
    },
  ];
  for (const block of blocks) {
    const { node: made, problems } = resolveRunTimeNode(lab, block);
    if (!made) throw new Error(problems.join('; '));
    lab.nodes.push(made);
  }
}

const row = (id: string, role: AmphoraRow['role'], ip: string): AmphoraRow =>
  ({ id, role, status: 'ALLOCATED', lb_network_ip: ip, node: `amphora-${id.slice(0, 8)}`, mgmt_port_id: `${id.slice(0, 8)}-port` }) as AmphoraRow;

/** The controller's database and who holds the VIP, as the observers would have found them. */
function octaviaSeen(facts: Facts, holders: string[]): void {
  const db = { amphorae: [row(MASTER, 'MASTER', '192.168.0.10'), row(BACKUP, 'BACKUP', '192.168.0.11')] } as OctaviaDb;
  facts.services['controller/octavia'] = { db, vipHolders: holders, vipHistory: [] };
}

/** The step as the scenario has it, without its waits and traffic: only its action. */
function actionOf(lab: Lab, name: string, change: Record<string, unknown> = {}): LabStep {
  const step = lab.experiment!.steps.find((s) => s.name === name)!;
  const spec = step.spec as { action: object; waits: unknown[]; then?: unknown };
  return { ...step, spec: { ...spec, action: { ...spec.action, ...change }, waits: [], then: undefined } };
}

t.test('amphora-kill: the process of the amphora holding the VIP, by its pid file and its token', async (t) => {
  const lab = labOf();
  boot(lab, MASTER, '192.168.0.10');
  boot(lab, BACKUP, '192.168.0.11');
  const h = harness(lab, (_n, facts) => octaviaSeen(facts, [BACKUP]));
  const haproxy = await stepKindOf('amphora-kill').run(actionOf(lab, 'haproxy-dies'), h.ctx);
  t.ok(haproxy.ok, String(haproxy.detail));
  const agent = lab.nodes.find((n) => n.name === 'amphora-57865deb')!.services[0];
  t.same(h.applied, [
    {
      kind: 'signal',
      token: agent.token,
      signal: 'SIGKILL',
      pidfile: join('/run/lablb/octavia/nodes/amphora-57865deb/amphora', LISTENER, 'haproxy.pid'),
      what: 'haproxy of amphora 57865deb',
    },
  ]);
  t.equal(
    opToShell(h.applied[0]),
    `kill -KILL $(cat /run/lablb/octavia/nodes/amphora-57865deb/amphora/${LISTENER}/haproxy.pid)   # haproxy of amphora 57865deb, if its environment has LABLB_TOKEN=octavia/amphora-57865deb/amphora-agent`,
  );
  t.same(h.polls[0], ['addresses', 'octavia'], 'who holds the VIP is read when the step runs');

  const byRole = harness(lab, (_n, facts) => octaviaSeen(facts, [BACKUP]));
  await stepKindOf('amphora-kill').run(actionOf(lab, 'agent-dies', { amphora: 'MASTER' }), byRole.ctx);
  t.match(
    byRole.applied[0],
    { kind: 'signal', pidfile: lab.nodes.find((n) => n.name === 'amphora-b07c2493')!.services[0].pidfile },
    "the MASTER's agent itself",
  );

  const nobody = harness(lab, (_n, facts) => octaviaSeen(facts, []));
  await t.rejects(
    stepKindOf('amphora-kill').run(actionOf(lab, 'haproxy-dies'), nobody.ctx),
    /no ALLOCATED amphora of controller\/octavia is holding the VIP now/,
  );
  t.same(nobody.applied, [], 'nothing signalled');
});

t.test("amphora-port-update: the article's trigger, on the amphora's own management port", async (t) => {
  const lab = labOf();
  boot(lab, MASTER, '192.168.0.10');
  const h = harness(lab, (_n, facts) => octaviaSeen(facts, [MASTER]));
  const r = await stepKindOf('amphora-port-update').run(actionOf(lab, 'mgmt-port-down'), h.ctx);
  t.ok(r.ok, String(r.detail));
  t.match(h.applied.map((op) => opToShell(op)).join('\n'), /tapb07c2493 tag=4095/, 'the dead VLAN, as Neutron sets a port down');
  t.match(h.emitted, [{ type: 'note', message: `neutron port-update ${MASTER.slice(0, 8)}-port --admin-state-up False (amphora-b07c2493/eth0, MASTER)` }]);
});

t.test("loadbalancer-failover: Octavia's API on the controller, as an operator calls it", async (t) => {
  const lab = labOf();
  const step = actionOf(lab, 'rolling-upgrade');
  const h = harness(lab, () => {});
  const r = await stepKindOf('loadbalancer-failover').run(step, h.ctx);
  t.ok(r.ok, String(r.detail));
  const url = 'http://192.168.0.3:9876/v2/octavia/loadbalancers/38307452-d6bd-488b-af29-3032fff65fe1/failover';
  t.same(
    h.applied,
    [{ kind: 'run', argv: netns.exec('controller', ['curl', '-sS', '--fail-with-body', '-m', '10', '-X', 'PUT', url]) }],
    'in the controller node',
  );
});

t.test("the lab's API: a node joins through the engine; only what it added may leave, hard as a deleted VM", async (t) => {
  const lab = labOf();
  let handle: (request: unknown) => Promise<unknown> = async () => undefined;
  const host = fakeHost();
  host.serveUnix = (path, h) => {
    t.equal(path, '/run/lablb/octavia/lab-api.sock');
    handle = h;
    return { close: () => {} };
  };
  const h = harness(lab, () => {}, [], host);
  serveLabApi(h.ctx);
  const node = { name: 'amphora-b07c2493-haproxy', role: 'amphora', ports: [] };
  t.same(await handle({ op: 'add-node', node, by: 'controller/octavia' }), { ok: true, node: node.name });
  t.ok(
    lab.nodes.some((n) => n.name === node.name),
    'in the lab: observed and shown',
  );
  t.same(await handle({ op: 'add-node', node: { name: 'x;reboot', role: 'amphora', ports: [] } }), {
    ok: false,
    error: 'node.name: got "x;reboot"; expected a namespace name: 1-64 letters, digits, "_", "." or "-"',
  });
  t.same(
    await handle({ op: 'remove-node', name: 'web1' }),
    { ok: false, error: 'web1 is not a node this API added' },
    "the file's nodes are not its to remove",
  );
  t.same(await handle({ op: 'reboot' }), { ok: false, error: 'unknown op "reboot"; known: add-node, remove-node' });
  const before = h.applied.length;
  t.same(await handle({ op: 'remove-node', name: node.name, hard: true }), { ok: true, node: node.name });
  t.same(
    h.applied.slice(before, before + 2).map((op) => opToShell(op)),
    [
      '# send SIGKILL to the processes of amphora-b07c2493-haproxy: the processes whose environment has LABLB_TOKEN=octavia/amphora-b07c2493-haproxy/',
      '# stop the processes of amphora-b07c2493-haproxy: the processes whose environment has LABLB_TOKEN=octavia/amphora-b07c2493-haproxy/',
    ],
    'a deleted VM: killed at once (keepalived sends no goodbye), then made sure of',
  );
  t.notOk(lab.nodes.some((n) => n.name === node.name));
});

t.test("a lab that is only up keeps the lab's API served by a process of its own, which down stops", async (t) => {
  const lab = labOf();
  const [op] = labApiDaemonOps(lab);
  t.match(op, {
    kind: 'daemon',
    env: { LABLB_TOKEN: 'octavia/lablb/lab-api' },
    ready: '/run/lablb/octavia/lab-api.sock',
    creates: [{ kind: 'process', token: 'octavia/lablb/lab-api' }],
  });
  t.same((op as { argv: string[] }).argv.slice(2), ['lab-api', 'octavia', '--json']);
  const flagship = resolveLab(loadScenarioFile(join(ROOT, 'scenarios', 'floating-ip-lb.yaml')), { stateRoot: '/run/lablb' });
  t.same(labApiDaemonOps(flagship), [], 'no controller in the lab: no process');
});

t.test("a run-time port named by its Neutron id, as the article's neutron port-update names it", async (t) => {
  const lab = labOf();
  boot(lab, MASTER, '192.168.0.10');
  t.equal(resolvePort(lab, 'b07c2493-1111-4111-8111-111111111111'), 'amphora-b07c2493/eth0');
  t.equal(resolvePort(lab, 'amphora-b07c2493/eth0'), 'amphora-b07c2493/eth0');
  t.throws(() => resolvePort(lab, '00000000-1111-4111-8111-111111111111'), /could not be found/);
});
