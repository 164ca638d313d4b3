// A VM reading and writing a file on an NFS share, with libnfs's userspace client (nfs-cp,
// nfs-cat): no mount, so nothing of the host's mount table or kernel NFS client is touched.
import { join } from 'node:path';
import { z } from 'zod';
import { Line, Name, NsName, StepName } from '../kinds/fields.js';
import { stepKind } from '../kinds/step-kind.js';
import { netns } from '../runtime/netns/netns.js';
import { shellLine } from '../shell.js';

/** Manila's export location, as `mount` takes it: 10.0.0.50:/share_nfs. */
const ExportLocation = z
  .string()
  .regex(/^\d{1,3}(\.\d{1,3}){3}:\/[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, { error: 'an export location such as 10.0.0.50:/share_nfs' })
  .meta({ title: 'export location' });

interface NfsFile {
  from: string;
  url: string;
  /** write: the local copy the client sends, in the node's dir. */
  local: string;
  text: string;
  withinMs: number;
}

const urlOf = (share: string, file: string) => {
  const [address, path] = share.split(':/');
  return `nfs://${address}/${path}/${file}?version=4`;
};
const common = {
  from: NsName.describe('the node (a VM) the client runs in'),
  share: ExportLocation.describe("the share's export location, address:/share"),
  file: Name.describe('the file, in the share'),
};

export const nfsWrite = stepKind<NfsFile, { name: string; kind: 'nfs-write'; from: string; share: string; file: string; text: string; within_ms: number }>({
  kind: 'nfs-write',
  schema: z
    .strictObject({
      name: StepName,
      kind: z.literal('nfs-write'),
      ...common,
      text: Line().describe("the file's content"),
      within_ms: z.int().min(100).max(120_000).default(10_000).describe('how long to keep trying while the server starts'),
    })
    .describe('A node writes a file to an NFS share (nfs-cp, NFSv4)'),
  example: '{ name: vm1-writes, kind: nfs-write, from: vm1, share: "10.0.0.50:/share_nfs", file: hello.txt, text: written by vm1 }',
  tools: [{ command: 'nfs-cp', pkg: 'libnfs-utils', versionArgs: ['--help'], why: 'a userspace NFS client in the VMs (the share steps)' }],
  resolve(b, ctx) {
    const node = ctx.node(b.from, ['from']);
    return { from: b.from, url: urlOf(b.share, b.file), local: join(node?.dir ?? '', 'nfs', b.file), text: b.text, withinMs: b.within_ms };
  },
  explain: ({ spec }) => [`cat > ${spec.local}   # ${JSON.stringify(spec.text)}`, shellLine(netns.exec(spec.from, ['nfs-cp', spec.local, spec.url]))],
  async run(step, ctx) {
    const { from, url, local, text, withinMs } = step.spec;
    ctx.host.mkdir(join(local, '..'));
    ctx.host.writeFile(local, `${text}\n`);
    const t0 = performance.now();
    let r = await ctx.host.run(netns.exec(from, ['nfs-cp', local, url]), { allowFailure: true });
    // The share server may still be starting: its NFS port opens a moment after its pid file.
    while (r.exitCode !== 0 && performance.now() - t0 < withinMs && !ctx.signal.aborted) {
      await new Promise((res) => setTimeout(res, 250));
      r = await ctx.host.run(netns.exec(from, ['nfs-cp', local, url]), { allowFailure: true });
    }
    const ms = Math.round(performance.now() - t0);
    const ok = r.exitCode === 0;
    return {
      name: step.name,
      ok,
      detail: ok ? `${from} wrote ${url} (${ms} ms)` : `${from} could not write ${url} within ${withinMs} ms: ${(r.stderr || r.stdout).trim().split('\n')[0]}`,
      ms,
    };
  },
});

export const nfsRead = stepKind<
  Omit<NfsFile, 'local' | 'withinMs'>,
  { name: string; kind: 'nfs-read'; from: string; share: string; file: string; expect: string }
>({
  kind: 'nfs-read',
  schema: z
    .strictObject({
      name: StepName,
      kind: z.literal('nfs-read'),
      ...common,
      expect: Line().describe("the file's content, without surrounding white space"),
    })
    .describe('A node reads a file from an NFS share (nfs-cat, NFSv4); it must hold what the step expects'),
  example: '{ name: vm2-reads, kind: nfs-read, from: vm2, share: "10.0.0.50:/share_nfs", file: hello.txt, expect: written by vm1 }',
  tools: [{ command: 'nfs-cat', pkg: 'libnfs-utils', versionArgs: ['--help'], why: 'a userspace NFS client in the VMs (the share steps)' }],
  resolve(b, ctx) {
    ctx.node(b.from, ['from']);
    return { from: b.from, url: urlOf(b.share, b.file), text: b.expect };
  },
  explain: ({ spec }) => [shellLine(netns.exec(spec.from, ['nfs-cat', spec.url])), `# passes when it holds ${JSON.stringify(spec.text)}`],
  async run(step, ctx) {
    const { from, url, text } = step.spec;
    const t0 = performance.now();
    const r = await ctx.host.run(netns.exec(from, ['nfs-cat', url]), { allowFailure: true });
    const ms = Math.round(performance.now() - t0);
    const body = r.stdout.trim();
    const ok = r.exitCode === 0 && body === text;
    return {
      name: step.name,
      ok,
      detail:
        r.exitCode !== 0
          ? `${from} could not read ${url}: ${(r.stderr || r.stdout).trim().split('\n')[0]}`
          : `${from} read ${JSON.stringify(body)} from ${url}${ok ? '' : `, expected ${JSON.stringify(text)}`}`,
      ms,
    };
  },
});
