// The lab's API for the control planes inside it (Octavia's controller booting and deleting
// amphorae, as it asks Nova): a UNIX socket in the lab's dir, served while the experiment
// runs. A node comes as a block shaped like one under nodes:, is checked by the same rules as
// add-node's, and joins through the engine and its journal, so a crash mid-way still cleans
// up; a control plane may remove only nodes it added (at once with hard: a VM deleted). One
// request at a time, in order.
import { join } from 'node:path';
import type { Op } from '../kinds/ops.js';
import { PACKAGE_ROOT } from '../paths.js';
import { serviceKindOf } from '../services/all.js';
import { TOKEN_VAR } from '../token.js';
import type { StepContext } from '../kinds/step-kind.js';
import type { Lab, LabNode } from '../model.js';
import { joinRunningLab, leaveNodeOps } from '../plan/node-plan.js';
import { UserError } from '../errors.js';
import { resolveRunTimeNode } from '../scenario/resolve.js';
import { nodeSecurityOps } from '../security/apply.js';

export const LAB_API_SOCKET = 'lab-api.sock';

export const labApiPath = (labDir: string): string => join(labDir, LAB_API_SOCKET);

type Answer = { ok: true; node?: string } | { ok: false; error: string };

interface Request {
  op?: unknown;
  node?: unknown;
  name?: unknown;
  /** remove-node: the node vanishes at once (SIGKILL), as a VM Nova deletes. */
  hard?: unknown;
  /** The service asking, node/service: told beside what it did. */
  by?: unknown;
}

/** A node block given while the lab runs, checked against the lab as it is now, joined through
 *  the engine (its ports guarded as Neutron would), and in the lab from then on. Returns the
 *  node, or why not. */
export async function joinRunTimeNode(ctx: StepContext, block: unknown): Promise<{ node?: LabNode; error?: string }> {
  const { node, problems } = resolveRunTimeNode(ctx.lab, block);
  if (!node) return { error: problems.join('; ') };
  try {
    await joinRunningLab(node, ctx);
  } catch (err) {
    if (err instanceof UserError) return { error: err.message };
    throw err;
  }
  ctx.topology.add(node);
  return { node };
}

export function serveLabApi(ctx: StepContext): { close(): void } {
  const added = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();
  const handle = async (raw: unknown): Promise<Answer> => {
    const r = (raw && typeof raw === 'object' ? raw : {}) as Request;
    const by = typeof r.by === 'string' ? r.by.slice(0, 128) : 'a control plane';
    if (r.op === 'add-node') {
      const { node, error } = await joinRunTimeNode(ctx, r.node);
      if (!node) return { ok: false, error: error! };
      added.add(node.name);
      ctx.emit({ type: 'note', message: `${by}: ${describe(node)} joined the lab` });
      return { ok: true, node: node.name };
    }
    if (r.op === 'remove-node') {
      const name = typeof r.name === 'string' ? r.name : '';
      const node = ctx.lab.nodes.find((n) => n.name === name);
      if (!node || !added.has(name)) return { ok: false, error: `${name || 'no name'} is not a node this API added` };
      ctx.topology.remove(name);
      added.delete(name);
      await ctx.apply(await nodeSecurityOps(ctx.host, ctx.lab, node, 'leave'));
      await ctx.apply(leaveNodeOps(ctx.lab, node, { hard: r.hard === true }));
      ctx.emit({ type: 'note', message: `${by}: ${name} left the lab` });
      return { ok: true, node: name };
    }
    return { ok: false, error: `unknown op ${JSON.stringify(r.op)}; known: add-node, remove-node` };
  };
  return ctx.host.serveUnix(labApiPath(ctx.lab.dir), (request) => {
    const answer = queue.then(() => handle(request));
    queue = answer.catch(() => undefined);
    return answer;
  });
}

/** For a lab brought up with `up` whose services ask for nodes: `lablb lab-api <lab>`, a
 *  process of the lab's (journaled by its token, stopped by down) that serves its API. */
export function labApiDaemonOps(lab: Lab): Op[] {
  if (!lab.nodes.some((n) => n.services.some((s) => serviceKindOf(s.kind).controlPlane))) return [];
  const token = `${lab.name}/lablb/lab-api`;
  return [
    {
      kind: 'daemon',
      argv: [process.execPath, join(PACKAGE_ROOT, 'bin', 'lablb.js'), 'lab-api', lab.name, '--json'],
      env: { [TOKEN_VAR]: token },
      ready: labApiPath(lab.dir),
      logfile: join(lab.dir, 'lab-api.log'),
      creates: [{ kind: 'process', name: 'lablb lab-api', token }],
    },
  ];
}

function describe(node: LabNode): string {
  const ports = node.ports.map((p) => `${p.name} ${p.address}`).join(', ');
  return `${node.name}${ports ? ` (${ports})` : ''}`;
}
