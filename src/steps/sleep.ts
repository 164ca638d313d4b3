// Let time pass (traffic keeps flowing and is measured).
import { z } from 'zod';
import { StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('sleep'),
    ms: z.int().min(1).max(600_000).describe('how long'),
  })
  .describe('Wait a fixed time');

export const sleep = stepKind<{ ms: number }, z.infer<typeof Block>>({
  kind: 'sleep',
  schema: Block,
  example: '{ name: settle, kind: sleep, ms: 2000 }',
  resolve: (b) => ({ ms: b.ms }),
  explain: ({ spec }) => [`sleep ${spec.ms / 1000}`],
  async run(step, ctx) {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, step.spec.ms);
      ctx.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true },
      );
    });
    return { name: step.name, ok: true, detail: `slept ${step.spec.ms} ms`, ms: step.spec.ms };
  },
});
