// Run a command in a node and judge its exit code and output. Scenario files are untrusted
// and run as root, so only a few programs whose effects stay inside the node's own network
// namespace are allowed, with their arguments checked; nothing goes through a shell.
import { z } from 'zod';
import { Line, NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns.js';

/** Each allowed program, and the arguments that would reach past the node. */
const ALLOWED: Record<string, string[]> = {
  ping: [],
  arping: [],
  // `netns` and `-n` would reach other namespaces (`link set X netns 1` moves a device to the host).
  ip: ['netns', '-netns', '-all', '-a', '-b', '-batch', '-force', '-n'],
  // Loading a kernel module is host-wide.
  iptables: ['--modprobe', '-M'],
  'iptables-save': ['--modprobe', '-M'],
  conntrack: [],
};

const Block = z.strictObject({
  name: StepName,
  kind: z.literal('exec'),
  node: NsName.describe('the node to run it in'),
  command: z.array(z.string().max(200)).min(1).max(40)
    .describe(`the program and its arguments, run without a shell; one of: ${Object.keys(ALLOWED).join(', ')}`),
  expect_exit: z.int().min(0).max(255).default(0).describe('the exit code that passes'),
  expect_output: Line().optional().describe('text its output must contain'),
  timeout_ms: z.int().positive().max(60_000).default(10_000),
}).describe('Run a command in a node (ping, arping, ip, iptables, conntrack) and judge its exit code and output');

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
  resolve(b, ctx) {
    ctx.node(b.node, ['node']);
    const [program, ...args] = b.command;
    const refused = ALLOWED[program];
    if (!refused) ctx.report(['command', 0], `${JSON.stringify(program)} is not allowed here; exec runs one of ${Object.keys(ALLOWED).join(', ')}`);
    args.forEach((a, i) => {
      if (refused?.includes(a)) ctx.report(['command', i + 1], `${JSON.stringify(a)} would reach outside ${b.node}; not allowed in a scenario`);
      if (/[\0\n]/.test(a)) ctx.report(['command', i + 1], 'an argument may not contain NUL or a newline');
    });
    return { node: b.node, command: b.command, expectExit: b.expect_exit, expectOutput: b.expect_output, timeoutMs: b.timeout_ms };
  },
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
