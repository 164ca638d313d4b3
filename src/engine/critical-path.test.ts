// The critical path of a build: the chain of last-ending dependencies, with waits and runs.
import t from 'tap';
import { criticalPath } from './critical-path.js';

t.test('from the task that ended last back through the dependency that ended last', async (t) => {
  const tasks = [
    { id: 'switch', title: 'the switch', after: [], startMs: 100, endMs: 300 },
    { id: 'vm1', title: 'vm1', after: ['switch'], startMs: 302, endMs: 400 },
    { id: 'vm2', title: 'vm2', after: ['switch'], startMs: 301, endMs: 450 },
    { id: 'lb', title: 'the load balancer', after: ['vm1', 'vm2'], startMs: 455, endMs: 600 },
    { id: 'side', title: 'beside it all', after: [], startMs: 100, endMs: 500 },
  ];
  t.same(criticalPath(tasks, 90), [
    { id: 'switch', title: 'the switch', waitedMs: 10, ranMs: 200 },
    { id: 'vm2', title: 'vm2', waitedMs: 1, ranMs: 149 },
    { id: 'lb', title: 'the load balancer', waitedMs: 5, ranMs: 145 },
  ]);
  t.same(criticalPath([], 0), [], 'no tasks, no path');
  t.same(
    criticalPath([{ id: 'a', title: 'a', after: ['gone'], startMs: 5, endMs: 9 }], 1),
    [{ id: 'a', title: 'a', waitedMs: 4, ranMs: 4 }],
    'a dependency not in the list counts from the start',
  );
});
