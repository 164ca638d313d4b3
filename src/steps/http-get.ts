// One HTTP request from a node, with curl; the body must be what the step expects.
import { z } from 'zod';
import { Line, NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns/netns.js';
import { shellLine } from '../shell.js';

/** `--`: the URL is never read as an option. */
const curl = (from: string, url: string) => netns.exec(from, ['curl', '-s', '-m', '3', '--', url]);

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('http-get'),
    from: NsName.describe('the node to send it from'),
    url: z.url({ protocol: /^http$/, error: 'an http:// URL' }),
    expect_body: Line().describe("the reply's body, without surrounding white space"),
  })
  .describe('One HTTP request from a node, with curl');

export const httpGet = stepKind<{ from: string; url: string; expectBody: string }, z.infer<typeof Block>>({
  kind: 'http-get',
  schema: Block,
  example: '{ name: lb-egress-snat, kind: http-get, from: qlbaas-01, url: "http://10.255.253.1:8080/", expect_body: 10.255.253.100 }',
  tools: [{ command: 'curl', pkg: 'curl', versionArgs: ['--version'], why: 'HTTP checks from a node' }],
  resolve(b, ctx) {
    ctx.node(b.from, ['from']);
    return { from: b.from, url: b.url, expectBody: b.expect_body };
  },
  explain: ({ spec }) => [shellLine(curl(spec.from, spec.url)), `# passes when the body is ${JSON.stringify(spec.expectBody)}`],
  async run(step, ctx) {
    const { from, url, expectBody } = step.spec;
    const t0 = performance.now();
    const r = await ctx.host.run(curl(from, url), { allowFailure: true });
    const ms = Math.round(performance.now() - t0);
    const body = r.stdout.trim();
    const ok = r.exitCode === 0 && body === expectBody;
    return {
      name: step.name,
      ok,
      detail:
        r.exitCode !== 0
          ? `curl from ${from} to ${url} failed (exit ${r.exitCode})`
          : `${from} -> ${url} answered ${JSON.stringify(body)}${ok ? '' : `, expected ${JSON.stringify(expectBody)}`}`,
      body,
      ms,
    };
  },
});
