// Run a command in a node and judge its exit code and output. Scenario files are untrusted
// and run as root, so only a few programs whose effects stay inside the node's own network
// namespace are allowed, with their arguments checked; nothing goes through a shell.
import { z } from 'zod';
import { Line, NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns/netns.js';
import { shellLine } from '../shell.js';
import { checkExecArgv, EXEC_PROGRAMS } from './exec-grammar.js';

const Block = z
  .strictObject({
    name: StepName,
    kind: z.literal('exec'),
    node: NsName.describe('the node to run it in'),
    command: z
      .array(z.string().max(200))
      .min(1)
      .max(40)
      .describe(
        `the program and its arguments, run without a shell; one of: ${Object.keys(EXEC_PROGRAMS).join(', ')}; only the forms of each that stay inside the node`,
      ),
    expect_exit: z.int().min(0).max(255).default(0).describe('the exit code that passes'),
    expect_output: Line().optional().describe('text its output must contain'),
    timeout_ms: z.int().positive().max(60_000).default(10_000),
  })
  .describe('Run a command in a node (ping, arping, ip, iptables, conntrack) and judge its exit code and output');

interface ExecSpec {
  node: string;
  command: string[];
  expectExit: number;
  expectOutput?: string;
  timeoutMs: number;
}

export const execStep = stepKind<ExecSpec, z.infer<typeof Block>>({
  kind: 'exec',
  schema: Block,
  example: '{ name: gateway-answers, kind: exec, node: vm1, command: [ping, -c, "1", -W, "1", 10.0.0.1] }',
  // Every program an exec step may run (EXEC_PROGRAMS), so that doctor and preflight know them.
  tools: [
    { command: 'ping', pkg: 'iputils-ping', versionArgs: ['-V'], why: 'exec steps: ping from a node' },
    { command: 'arping', pkg: 'iputils-arping', versionArgs: ['-V'], why: 'exec steps: arping from a node' },
    { command: 'iptables', pkg: 'iptables', versionArgs: ['--version'], why: "exec steps: a node's iptables rules and counters" },
    { command: 'iptables-save', pkg: 'iptables', versionArgs: ['--version'], why: "exec steps: a node's iptables rules" },
    { command: 'conntrack', pkg: 'conntrack', versionArgs: ['--version'], why: "exec steps: a node's connection tracking table" },
  ],
  resolve(b, ctx) {
    ctx.node(b.node, ['node']);
    for (const p of checkExecArgv(b.command)) ctx.report(['command', p.index], p.message);
    return { node: b.node, command: b.command, expectExit: b.expect_exit, expectOutput: b.expect_output, timeoutMs: b.timeout_ms };
  },
  explain: ({ spec }) => [
    shellLine(netns.exec(spec.node, spec.command)),
    `# passes on exit ${spec.expectExit}${spec.expectOutput !== undefined ? ` with ${JSON.stringify(spec.expectOutput)} in its output` : ''} within ${spec.timeoutMs} ms`,
  ],
  async run(step, ctx) {
    const { node, command, expectExit, expectOutput, timeoutMs } = step.spec;
    const t0 = performance.now();
    const r = await ctx.host.run(netns.exec(node, command), { allowFailure: true, timeoutMs });
    const ms = Math.round(performance.now() - t0);
    const output = `${r.stdout}${r.stderr}`.trim();
    const problems = [
      r.exitCode !== expectExit ? `exit ${r.exitCode}, expected ${expectExit}` : '',
      expectOutput !== undefined && !output.includes(expectOutput) ? `output lacks ${JSON.stringify(expectOutput)}` : '',
    ].filter(Boolean);
    const last = output.split('\n').at(-1) ?? '';
    return {
      name: step.name,
      ok: problems.length === 0,
      detail: `${node}: ${command.join(' ')} -> exit ${r.exitCode}${last ? ` (${last.slice(0, 80)})` : ''}${problems.length ? `; ${problems.join('; ')}` : ''}`,
      exit_code: r.exitCode,
      ms,
    };
  },
});
