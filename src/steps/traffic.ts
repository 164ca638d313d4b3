// Judge a probe's next replies: round robin, only some servers, how many failed.
import { z } from 'zod';
import { StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import type { Expectation } from '../model.js';
import { checkSamples, describeExpectation, Expect, resolveExpect, samplesTimeout } from './action-step.js';
import { judgeTraffic } from './judge.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('traffic'),
    probe: z.string().min(1).optional().describe('which probe (default: the first)'),
    samples: z.int().min(2).max(10000).describe("how many of the probe's next replies to judge"),
    expect: Expect,
  })
  .describe("Judge the prober's next replies");

export const traffic = stepKind<{ probe: string; samples: number; expect: Expectation }, z.infer<typeof Block>>({
  kind: 'traffic',
  schema: Block,
  example: '{ name: round-robin, kind: traffic, samples: 20, expect: { alternate: [server_81, server_82] } }',
  resolve(b, ctx) {
    const probe = ctx.probe(b.probe, ['probe']) ?? '';
    checkSamples(ctx, probe, b.samples, ['samples']);
    return { probe, samples: b.samples, expect: resolveExpect(b.expect, ['expect'], ctx) };
  },
  explain: ({ spec }) => [`# judges probe ${spec.probe}'s next ${spec.samples} replies: ${describeExpectation(spec.expect)}`],
  async run(step, ctx) {
    const feed = ctx.probe(step.spec.probe)!;
    const samples = await feed.next(step.spec.samples, samplesTimeout(feed, step.spec.samples));
    const v = judgeTraffic(samples, step.spec.expect);
    if (samples.length < step.spec.samples) {
      return { name: step.name, ...v, ok: false, detail: `only ${samples.length} of ${step.spec.samples} probes came back` };
    }
    return { name: step.name, ...v };
  },
});
