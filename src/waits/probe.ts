// "the prober has had N successes in a row": traffic flows again. With the step's probe
// window it measures an outage: first failure to first success, to the probe interval.
import { z } from 'zod';
import { waitKind } from '../kinds/wait-kind.js';

export interface ProbeWaitSpec {
  probe: string;
  successes: number;
}

const Block = z
  .strictObject({
    probe: z.string().min(1).optional().describe("a probe's name (default: the first)"),
    successes: z.int().min(1).max(1000).describe('this many good replies in a row, to probes sent after the action'),
  })
  .describe('Until a probe has had N successes in a row');

export const probeWait = waitKind<ProbeWaitSpec, z.infer<typeof Block>>({
  key: 'successes',
  schema: Block,
  example: '{ probe: vip, successes: 5 }',
  resolve: (b, ctx) => ({ probe: ctx.probe(b.probe, ['probe']) ?? '', successes: b.successes }),
  needs: () => [],
  check(spec, facts, since) {
    const sent = [...(facts.probes[spec.probe] ?? [])].filter((s) => s.t >= since).sort((a, b) => a.seq - b.seq);
    let run = 0;
    for (const s of sent) run = s.ok ? run + 1 : 0;
    return { met: run >= spec.successes, now: `${run} in a row of ${sent.length}` };
  },
  describe: (spec) => `${spec.probe} had ${spec.successes} successes in a row`,
  figure: (spec) => `${spec.probe}_flowing_ms`,
});
