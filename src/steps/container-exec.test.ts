// The container-exec step: only a member with a world of its own (a container), through its runtime.
import t from 'tap';
import { labFromText } from '../../test/helpers.js';

const scenario = (node: string) => `name: x
switch: { bridges: [br-int] }
networks: [{ name: n, bridge: br-int, cidr: 10.0.0.0/24 }]
nodes:
  - { name: c, role: vm, runtime: docker, ports: [{ name: eth0, network: n, address: 10.0.0.2, bridge_port: tapc }] }
  - { name: v, role: vm, ports: [{ name: eth0, network: n, address: 10.0.0.3, bridge_port: tapv }] }
experiment:
  steps:
    - { name: kill, kind: container-exec, node: ${node}, command: [killall, httpd] }
`;

t.test('container-exec runs in a container member, and refuses any other node', async (t) => {
  const lab = labFromText(scenario('c'));
  t.match(lab.experiment!.steps[0].spec, {
    action: {
      op: {
        kind: 'member',
        runtime: 'docker',
        action: { do: 'exec', name: 'lablb-x-c', argv: ['killall', 'httpd'] },
        shell: 'docker exec lablb-x-c killall httpd',
      },
      what: 'docker exec lablb-x-c killall httpd',
    },
  });
  t.throws(() => labFromText(scenario('v')), /v is not a container \(runtime: netns has no programs of its own\): an exec step runs commands in its namespace/);
  t.throws(() => labFromText(scenario('w')), /no node named "w"/);
});
