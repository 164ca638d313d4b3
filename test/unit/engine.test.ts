// The engine against a recording fake driver: journal before create, lanes in parallel,
// failures surface with their command.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import type { HostDriver } from '../../src/host.js';
import { Engine } from '../../src/engine/engine.js';
import { Journal } from '../../src/engine/journal.js';
import type { Plan } from '../../src/kinds/ops.js';
import type { LabEvent } from '../../src/kinds/events.js';
import { fakeHost, type FakeHost } from '../fake-host.js';

interface Recorder extends HostDriver {
  log: string[];
  /** The fake beneath, with its own log of signals and its live tokens. */
  fake: FakeHost;
}

/** The fake host, logging how many journal entries existed when each command ran. */
function fakeDriver(journal: () => Journal, failOn?: string): Recorder {
  const host = fakeHost({ fail: failOn ? { [failOn]: 'RTNETLINK answers: File exists' } : {}, delayMs: 5 });
  const log: string[] = [];
  return {
    ...host,
    log,
    fake: host,
    async run(argv, opts) {
      log.push(`run ${argv.join(' ')} [journal: ${journal().entries().length}]${opts?.env?.LABLB_TOKEN ? ` token=${opts.env.LABLB_TOKEN}` : ''}`);
      return host.run(argv, opts);
    },
    spawnDetached(argv, opts) {
      log.push(`spawn ${argv.join(' ')}`);
      return host.spawnDetached(argv, opts);
    },
    mkdir: (path) => void log.push(`mkdir ${path}`),
  };
}

function setup(failOn?: string) {
  const dir = join(mkdtempSync(join(tmpdir(), 'lablb-engine-')), 'lab');
  const journal = Journal.create(dir);
  const driver = fakeDriver(() => journal, failOn);
  return { journal, driver, engine: new Engine(driver, journal, { OVS_RUNDIR: '/x' }) };
}

const plan: Plan = {
  lab: 'demo',
  env: {},
  tasks: [
    { id: 'ns', title: 'namespaces', after: [], ops: [{ kind: 'run', argv: ['ip', 'netns', 'add', 'a'], creates: [{ kind: 'netns', name: 'a' }] }] },
    {
      id: 'one',
      title: 'slow then after',
      after: ['ns'],
      ops: [
        { kind: 'run', argv: ['ip', 'link', 'set', 'slow', 'up'] },
        { kind: 'run', argv: ['ip', 'link', 'set', 'after', 'up'] },
      ],
    },
    {
      id: 'srv',
      title: 'a daemon',
      after: ['ns'],
      ops: [
        {
          kind: 'daemon',
          argv: ['haproxy', '-f', '/s/srv.conf'],
          env: { LABLB_TOKEN: 'demo/a/srv' },
          ready: '/s/srv.pid',
          logfile: '/s/srv.log',
          creates: [{ kind: 'process', name: 'a/srv', token: 'demo/a/srv', pidfile: '/s/srv.pid' }],
        },
      ],
    },
    { id: 'last', title: 'needs both', after: ['one', 'srv'], ops: [{ kind: 'run', argv: ['ovs-vsctl', 'show'] }] },
  ],
};

t.test('journals each object before the command that creates it', async (t) => {
  const { engine, driver, journal } = setup();
  await engine.apply(plan);
  t.equal(driver.log[0], 'run ip netns add a [journal: 1]');
  t.same(journal.entries(), [
    { kind: 'netns', name: 'a' },
    { kind: 'process', name: 'a/srv', token: 'demo/a/srv', pidfile: '/s/srv.pid' },
  ]);
});

t.test('runs a task once its dependencies are done, independent tasks at once', async (t) => {
  const { engine, driver } = setup();
  await engine.apply(plan);
  const order = driver.log.map((l) => l.split(' [')[0]);
  t.ok(order.indexOf('run ip netns add a') === 0, 'the dependency first');
  t.ok(order.indexOf('spawn haproxy -f /s/srv.conf') < order.indexOf('run ip link set after up'), 'the daemon did not wait for the other task');
  t.ok(order.indexOf('run ip link set slow up') < order.indexOf('run ip link set after up'), "a task's ops in order");
  t.equal(order.at(-1), 'run ovs-vsctl show', 'the task after both ran last');
});

t.test('a plan whose dependencies cannot be met is a bug, reported', async (t) => {
  const { engine } = setup();
  await t.rejects(engine.apply({ lab: 'x', env: {}, tasks: [{ id: 'a', title: 'a', after: ['nope'], ops: [] }] }), {
    message: 'plan cannot finish: a wait for tasks that never run',
  });
});

t.test('a failing command stops the plan with its command and stderr', async (t) => {
  const { engine, driver } = setup('slow');
  await t.rejects(engine.apply(plan), { name: 'ExternalError', message: /ip link set slow up\nRTNETLINK answers: File exists/ });
  t.notOk(driver.log.some((l) => l.startsWith('run ip link set after up')));
  t.notOk(
    driver.log.some((l) => l.startsWith('run ovs-vsctl show')),
    'nothing after the failure starts',
  );
});

t.test('an abort starts nothing new', async (t) => {
  const { engine, driver } = setup();
  const ac = new AbortController();
  ac.abort();
  await t.rejects(engine.apply(plan, ac.signal), { message: 'interrupted' });
  t.same(driver.log, []);
});

t.test('a daemon that dies before it is ready is reported with its log', async (t) => {
  const { journal } = setup();
  const driver: HostDriver = {
    ...fakeDriver(() => journal),
    spawnDetached: () => 7,
    isAlive: () => false,
    readFile: () => 'bind: Address already in use\n',
  };
  const engine = new Engine(driver, journal, {});
  await t.rejects(engine.runOp({ kind: 'daemon', argv: ['srv'], env: {}, ready: '/p', logfile: '/l', creates: [] }), {
    message: /srv\nexited before it was ready\nbind: Address already in use/,
  });
});

t.test('a journal line cut short by a crash is skipped', async (t) => {
  const { journal } = setup();
  journal.record({ kind: 'netns', name: 'a' });
  const { appendFileSync } = await import('node:fs');
  appendFileSync(join(journal.dir, 'journal.jsonl'), '{"kind":"netns","na');
  t.same(journal.entries(), [{ kind: 'netns', name: 'a' }]);
});

t.test("an experiment's change journals its undo first; the op that reverts it settles it", async (t) => {
  const { engine, journal, driver } = setup();
  await engine.runLane([
    {
      kind: 'run',
      argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'down'],
      undo: { id: 'link:lb1/eth0', what: 'lb1/eth0 up again', argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'up'], member: 'lb1' },
    },
  ]);
  t.equal(driver.log[0], 'run ip -n lb1 link set eth0 down [journal: 1]', 'the undo is on disk before the change');
  await engine.runLane([{ kind: 'run', argv: ['ip', '-n', 'lb1', 'link', 'set', 'eth0', 'up'], settles: 'link:lb1/eth0' }]);
  t.same(
    journal.entries().map((e) => e.kind),
    ['undo', 'settled'],
  );
});

t.test('a failed change is not settled; signal and stop ops reach exactly one token', async (t) => {
  const { engine, journal, driver } = setup('up');
  await t.rejects(engine.runLane([{ kind: 'run', argv: ['ip', 'link', 'set', 'x', 'up'], settles: 'link:a/x' }]));
  t.same(journal.entries(), [], 'still to undo');
  // Three processes whose tokens a careless match would confuse.
  const host = driver.fake;
  for (const token of ['demo/a/web', 'demo/a/web2', 'demo/b/web']) host.spawnDetached(['haproxy'], { env: { LABLB_TOKEN: token }, logfile: `/l/${token}.log` });
  await engine.runLane([{ kind: 'signal', token: 'demo/a/web', signal: 'SIGHUP', what: 'a/web' }]);
  t.same(
    host.log.filter((l) => l.startsWith('kill')),
    ['kill -SIGHUP demo/a/web'],
    'the signal went to that token alone',
  );
  t.same([...host.tokens.keys()].sort(), ['demo/a/web', 'demo/a/web2', 'demo/b/web'], 'a SIGHUP stops nothing');
  await engine.runLane([{ kind: 'stop', token: 'demo/a/web', graceMs: 10, what: 'a/web' }]);
  t.same([...host.tokens.keys()].sort(), ['demo/a/web2', 'demo/b/web'], 'stop ended exactly that process');
});

t.test('a daemon is waited for until it is ready, and what comes after it waits too', async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lablb-engine-')), 'lab');
  const journal = Journal.create(dir);
  const host = fakeHost({ manualReady: true });
  const engine = new Engine(host, journal, {});
  let done = false;
  const applied = engine.apply(plan).then(() => (done = true));
  await new Promise((r) => setTimeout(r, 300));
  t.notOk(done, 'not ready, not done');
  t.ok(host.log.includes('spawn haproxy -f /s/srv.conf'), 'the daemon was started');
  t.ok(host.log.includes('run ip link set after up'), 'the task beside it went on');
  t.notOk(host.log.includes('run ovs-vsctl show'), 'the task after it waits');
  host.ready('/s/srv.pid');
  await applied;
  t.equal(host.log.at(-1), 'run ovs-vsctl show', 'once ready, the rest runs');
  t.same(host.unusedRules(), []);
});

t.test('the fake host knows only what lablb runs, and tells a rule that never matched', async (t) => {
  const host = fakeHost({ fail: { 'netns del': 'busy', 'netns dle': 'a typo' } });
  await t.rejects(host.run(['ip', 'netns', 'exec', 'a', 'sh', '-c', 'id']), { message: /sh: command not found/ });
  await t.rejects(host.run(['env', 'A=1', 'B=2', 'nc', '-l']), { message: /nc: command not found/ });
  t.throws(() => host.spawnDetached(['socat'], { env: {}, logfile: '/l/x.log' }), /socat: command not found/);
  t.equal((await host.run(['ip', 'netns', 'exec', 'a', '/usr/sbin/haproxy', '-c'])).exitCode, 0, 'a tool by its path');
  await t.rejects(host.run(['ip', 'netns', 'del', 'a']), { message: /busy/ });
  t.same(host.unusedRules(), ['netns dle'], 'the typo is told');
});

t.test("a build tells when each task ran, for the benchmark's critical path", async (t) => {
  const dir = join(mkdtempSync(join(tmpdir(), 'lablb-engine-')), 'lab');
  const events: LabEvent[] = [];
  const engine = new Engine(fakeHost({ delayMs: 5 }), Journal.create(dir), {}, (e) => events.push(e));
  await engine.apply(plan);
  const timing = events.find((e) => e.type === 'timing');
  t.match(timing, { type: 'timing', lab: 'demo' });
  if (timing?.type !== 'timing') return;
  t.same(
    timing.tasks.map((x) => [x.id, x.after]),
    [
      ['ns', []],
      ['one', ['ns']],
      ['srv', ['ns']],
      ['last', ['one', 'srv']],
    ],
  );
  const at = Object.fromEntries(timing.tasks.map((x) => [x.id, x]));
  t.ok(timing.appliedAtMs <= at.ns.startMs && at.ns.endMs <= at.one.startMs && at.one.endMs <= at.last.startMs, 'each after what it waits for');
  t.ok(at.one.endMs - at.one.startMs >= 8, `two commands of 5 ms each: ${JSON.stringify(at.one)}`);
  t.equal(events.at(-1), timing, 'told once the build is done');
});

t.test("the lab's database is written from the schema, no process; a schema it cannot read is named", async (t) => {
  const { engine, driver } = setup();
  await engine.runOp({ kind: 'ovsdb-create', path: '/run/lablb/demo/ovs/conf.db', schema: '/usr/share/openvswitch/vswitch.ovsschema' });
  t.match(driver.readFile('/run/lablb/demo/ovs/conf.db'), /^OVSDB JSON 53 [0-9a-f]{40}\n\{"name":"Open_vSwitch","version":"8.3.1","tables":\{\}\}$/);
  t.same(driver.log, [], 'nothing run');
  const missing = await engine.runOp({ kind: 'ovsdb-create', path: '/x/conf.db', schema: '/nowhere/vswitch.ovsschema' }).catch((e: unknown) => e);
  t.match((missing as Error).message, /ovsdb-tool create \/x\/conf\.db \/nowhere\/vswitch\.ovsschema/);
  t.match((missing as Error).message, /cannot read \/nowhere\/vswitch\.ovsschema \(is openvswitch-switch installed\?\)/);
  t.equal(driver.readFile('/x/conf.db'), undefined);
});
