// `lablb impair [lab] <node>:<port> --loss PCT | --rate KBIT | --clear`: the impair step's
// loss and rate limit on a running lab's port, by hand. Each goes through the lab's journal
// with its undo, so `--clear`, `down` and `clean` take it off.
import { Engine } from '../engine/engine.js';
import { Journal } from '../engine/journal.js';
import { requireRoot } from '../engine/preflight.js';
import { UserError } from '../errors.js';
import type { JournalEntry, Op } from '../kinds/ops.js';
import { describe, impairOps, lossId, rateId, type Impairment } from '../steps/impair.js';
import { parseTarget } from './capture.js';
import { labWithNode } from './common.js';
import type { CommandContext } from './context.js';

export interface ImpairOptions {
  loss?: string;
  rate?: string;
  clear?: boolean;
}

type Undo = Extract<JournalEntry, { kind: 'undo' }>;

/** The impairment asked for, checked as the step's fields are. */
export function impairmentOf(node: string, port: string, o: ImpairOptions): Impairment {
  if (o.clear && (o.loss !== undefined || o.rate !== undefined)) throw new UserError('--clear takes the impairments off: give it alone');
  if (!o.clear && o.loss === undefined && o.rate === undefined) throw new UserError('say how to impair it: --loss PERCENT and/or --rate KBIT, or --clear');
  const loss = o.loss === undefined ? undefined : Number(o.loss);
  if (loss !== undefined && (!/^\d+(\.\d+)?$/.test(o.loss!) || loss < 0.01 || loss > 100))
    throw new UserError(`--loss: ${JSON.stringify(o.loss)} is not a percentage from 0.01 to 100`);
  const rate = o.rate === undefined ? undefined : Number(o.rate);
  if (rate !== undefined && (!/^\d+$/.test(o.rate!) || rate < 8 || rate > 10_000_000))
    throw new UserError(`--rate: ${JSON.stringify(o.rate)} is not a whole number of kbit/s from 8 to 10000000`);
  return { node, port, ...(loss !== undefined ? { loss: loss / 100 } : {}), ...(rate !== undefined ? { rateKbit: rate } : {}) };
}

/** The undos still to run, by id: an undo not settled since. */
export function pendingUndos(entries: JournalEntry[]): Map<string, Undo> {
  const pending = new Map<string, Undo>();
  for (const e of entries) {
    if (e.kind === 'undo') pending.set(e.id, e);
    else if (e.kind === 'settled') pending.delete(e.id);
  }
  return pending;
}

export async function impairCommand(args: string[], labName: string | undefined, o: ImpairOptions, ctx: CommandContext): Promise<number> {
  if (args.length === 0 || args.length > 2) throw new UserError('impair takes [lab] node:port', 'e.g. sudo lablb impair l3-ha qrouter-net2:ha-n2 --loss 30');
  const [lab, target] = args.length === 2 ? [args[0], args[1]] : [labName, args[0]];
  const { node, port } = parseTarget(target, 'impair');
  const wanted = impairmentOf(node, port, o);
  requireRoot(ctx.host, 'impair');
  const found = labWithNode(node, lab);
  const member = found.nodes.find((n) => n.name === node)!;
  if (!member.ports.some((p) => p.name === port))
    throw new UserError(`${node} has no port ${port}`, `its ports: ${member.ports.map((p) => p.name).join(', ')}`);
  const journal = Journal.open(found.dir);
  const pending = pendingUndos(journal.entries());
  const ids = [lossId(wanted), rateId(wanted)];
  let ops: Op[];
  if (o.clear) {
    const undos = ids.flatMap((id) => (pending.has(id) ? [pending.get(id)!] : []));
    if (undos.length === 0) throw new UserError(`${node}:${port} is not impaired`);
    ops = undos.map((u) => ({ kind: 'run', argv: u.argv, settles: u.id }));
  } else {
    const again = [wanted.loss !== undefined ? lossId(wanted) : '', wanted.rateKbit !== undefined ? rateId(wanted) : ''].filter((id) => id && pending.has(id));
    if (again.length)
      throw new UserError(
        `${node}:${port} is impaired so already (${again.map((id) => pending.get(id)!.what).join(', ')} undoes it)`,
        `first: sudo lablb impair ${found.name} ${target} --clear`,
      );
    ops = impairOps(wanted);
  }
  await new Engine(ctx.host, journal, {}).runLane(ops);
  ctx.out(o.clear ? `${node}:${port} unimpaired` : `${node}:${port}: ${describe(wanted)}`);
  return 0;
}
