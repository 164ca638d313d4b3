import t from 'tap';
import { evaluate, expandRepeats } from './repeat.js';

t.test('expressions of i: + - * / % and brackets, / rounding down', async (t) => {
  t.equal(evaluate('i', 7), 7);
  t.equal(evaluate('i / 250 + 1', 1000), 5);
  t.equal(evaluate('i % 250 + 2', 251), 3);
  t.equal(evaluate('(i + 1) * 2 - 3', 4), 7);
  t.equal(evaluate('-i + 10', 3), 7);
  t.throws(() => evaluate('i / 0', 1), /division by zero/);
  t.throws(() => evaluate('i +', 1), /ends too early/);
  t.throws(() => evaluate('(i + 1', 1), /not closed/);
  t.throws(() => evaluate('i 2', 1), /unexpected "2"/);
});

t.test('a block copies its networks and nodes count times, after the file own ones', async (t) => {
  const data: Record<string, unknown> = {
    networks: [{ name: 'ext-net' }],
    nodes: [{ name: 'ext' }],
    repeat: [
      {
        count: 3,
        networks: [{ name: 'private-{i}', vlan: '{i}' }],
        nodes: [{ name: 'vm-{i}' }, { name: 'qrouter-{i}', ports: [{ address: '172.24.{i / 2 + 1}.{i % 2 + 2}' }] }],
      },
    ],
  };
  const x = expandRepeats(data);
  t.same(x.problems, []);
  t.equal(data.repeat, undefined, 'the block is gone once copied');
  t.same(data.networks, [{ name: 'ext-net' }, { name: 'private-1', vlan: 1 }, { name: 'private-2', vlan: 2 }, { name: 'private-3', vlan: 3 }]);
  t.same(
    (data.nodes as { name: string }[]).map((n) => n.name),
    ['ext', 'vm-1', 'qrouter-1', 'vm-2', 'qrouter-2', 'vm-3', 'qrouter-3'],
  );
  t.same((data.nodes as { ports?: { address: string }[] }[])[6].ports, [{ address: '172.24.2.3' }]);
  // A copy's path leads back to its template, with the copy's number.
  t.same(x.origin(['nodes', 6, 'ports', 0, 'address']), { path: ['repeat', 0, 'nodes', 1, 'ports', 0, 'address'], copy: 3 });
  t.same(x.origin(['networks', 2, 'vlan']), { path: ['repeat', 0, 'networks', 0, 'vlan'], copy: 2 });
  t.same(x.origin(['nodes', 0, 'name']), { path: ['nodes', 0, 'name'] }, "the file's own nodes are where they were");
});

t.test('a wrong block is a problem at its field, and nothing is copied from it', async (t) => {
  const cases: [unknown, (string | number)[], RegExp][] = [
    [{ count: 0, nodes: [{}] }, ['repeat', 0, 'count'], /from 1 to 1000/],
    [{ count: 1001, nodes: [{}] }, ['repeat', 0, 'count'], /from 1 to 1000/],
    [{ count: 'many', nodes: [{}] }, ['repeat', 0, 'count'], /whole number/],
    [{ count: 2, routers: [{}] }, ['repeat', 0, 'routers'], /unknown field "routers"/],
    [{ count: 2, nodes: [] }, ['repeat', 0, 'nodes'], /a list of nodes/],
    [{ count: 1000, nodes: [{}, {}, {}, {}] }, ['repeat', 0, 'nodes'], /more than 3072/],
    [{ count: 2, nodes: [{ name: 'vm-{i / 0}' }] }, ['repeat', 0, 'nodes', 0, 'name'], /division by zero/],
    ['every router', ['repeat', 0], /a block with count/],
  ];
  for (const [block, path, message] of cases) {
    const data: Record<string, unknown> = { nodes: [], repeat: [block] };
    const x = expandRepeats(data);
    t.same(
      x.problems.map((p) => p.path),
      [path],
      JSON.stringify(block),
    );
    t.match(x.problems[0].message, message);
  }
  t.match(expandRepeats({ repeat: 'x' }).problems[0].message, /a list of blocks/);
});

t.test('a problem in a copy points at its template line, naming the copy', async (t) => {
  const { parseScenario } = await import('./load.js');
  const text = [
    'name: copies',
    'switch: { bridges: [br-int] }',
    'networks: [{ name: net, bridge: br-int, cidr: 10.0.0.0/16 }]',
    'nodes: [{ name: ext, role: external, ports: [{ name: eth0, network: net, address: 10.0.0.1, bridge_port: ext-gw }] }]',
    'repeat:',
    '  - count: 3',
    '    nodes:',
    '      - name: "vm-{i}"',
    '        role: vm',
    '        ports: [{ name: eth0, network: net, address: "10.0.{i * 100}.3", bridge_port: "tap-{i}" }]',
  ].join('\n');
  const err = (() => {
    try {
      parseScenario(text, 'copies.yaml');
    } catch (e) {
      return e as Error & { problems: { line: number; path: string; message: string }[] };
    }
  })();
  t.ok(err, 'refused');
  t.same(
    err!.problems.map((p) => [p.line, p.path]),
    [[10, 'repeat[0].nodes[0].ports[0].address']],
  );
  t.match(err!.problems[0].message, /\(in copy 3, i=3\)$/);
});
