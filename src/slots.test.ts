import t from 'tap';
import { Slots } from './slots.js';

t.test('never more than its size at once, and every piece of work runs in order', async (t) => {
  const slots = new Slots(2);
  let now = 0;
  let most = 0;
  const order: number[] = [];
  const work = (i: number) =>
    slots.use(async () => {
      order.push(i);
      most = Math.max(most, ++now);
      await new Promise((r) => setTimeout(r, 5));
      now--;
      return i * 10;
    });
  const results = await Promise.all([1, 2, 3, 4, 5].map(work));
  t.same(results, [10, 20, 30, 40, 50]);
  t.equal(most, 2);
  t.same(order, [1, 2, 3, 4, 5]);
});

t.test('a failure gives its slot back', async (t) => {
  const slots = new Slots(1);
  await t.rejects(
    slots.use(() => Promise.reject(new Error('boom'))),
    /boom/,
  );
  t.equal(await slots.use(() => Promise.resolve('next')), 'next');
});

t.test('a waiting lower rank goes first; equal ranks keep their order', async (t) => {
  const slots = new Slots(1);
  const order: string[] = [];
  let release: () => void = () => {};
  const first = slots.use(() => new Promise<void>((r) => (release = r)), 0);
  const queued = [
    slots.use(async () => void order.push('node a'), 5),
    slots.use(async () => void order.push('node b'), 5),
    slots.use(async () => void order.push('bridges'), 1),
    slots.use(async () => void order.push('service'), 9),
  ];
  release();
  await Promise.all([first, ...queued]);
  t.same(order, ['bridges', 'node a', 'node b', 'service']);
});
