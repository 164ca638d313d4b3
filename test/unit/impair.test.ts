// impair and repair: the rules and qdiscs a step puts on a port, each with its undo journaled,
// what repair takes off, and every mistake at its field.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { stepKindOf } from '../../src/steps/all.js';
import { opToShell } from '../../src/kinds/ops.js';
import { loadScenarioFile, parseScenario } from '../../src/scenario/load.js';
import { resolveLab } from '../../src/scenario/resolve.js';
import { harness } from '../step-harness.js';
import { impairmentOf, pendingUndos } from '../../src/commands/impair.js';
import { lablb, problemsOf, ROOT } from '../helpers.js';

const FILE = join(ROOT, 'test', 'fixtures', 'impairments.yaml');
const lab = resolveLab(loadScenarioFile(FILE), { stateRoot: '/run/lablb' });
const step = (name: string) => lab.experiment!.steps.find((s) => s.name === name)!;

t.test('loss: a raw-table rule on what arrives, its deletion journaled as the undo', async (t) => {
  const h = harness(lab, () => undefined);
  const r = await stepKindOf('impair').run(step('client-lossy'), { ...h.ctx, probe: () => undefined });
  t.same(h.applied.map(opToShell), ['ip netns exec client iptables -w -t raw -I PREROUTING -i eth0 -m statistic --mode random --probability 0.3000 -j DROP']);
  const op = h.applied[0] as { undo?: { id: string; argv: string[] } };
  t.equal(op.undo!.id, 'impair-loss:client/eth0');
  t.match(op.undo!.argv.join(' '), /iptables -w -t raw -D PREROUTING -i eth0 -m statistic --mode random --probability 0\.3000 -j DROP$/);
  t.match(String(r.detail), /client\/eth0: 30% of what arrives lost/);
});

t.test('rate: tbf on what leaves, removed by repair, which settles the undo', async (t) => {
  const h = harness(lab, () => undefined);
  await stepKindOf('impair').run(step('lb1-at-16-kbit'), h.ctx);
  t.same(h.applied.map(opToShell), ['ip netns exec lb1 tc qdisc replace dev eth0 root tbf rate 16kbit burst 4kb latency 50ms']);
  t.equal((h.applied[0] as { undo?: { id: string } }).undo!.id, 'impair-rate:lb1/eth0');
  const r = harness(lab, () => undefined);
  await stepKindOf('repair').run(step('lb1-full-rate'), r.ctx);
  t.same(r.applied, [{ kind: 'run', argv: ['ip', 'netns', 'exec', 'lb1', 'tc', 'qdisc', 'del', 'dev', 'eth0', 'root'], settles: 'impair-rate:lb1/eth0' }]);
  const loss = harness(lab, () => undefined);
  await stepKindOf('repair').run(step('lb2-hears-again'), loss.ctx);
  t.same(loss.applied.map(opToShell), ['ip netns exec lb2 iptables -w -t raw -D PREROUTING -i eth0 -m statistic --mode random --probability 1.0000 -j DROP']);
  t.equal((loss.applied[0] as { settles?: string }).settles, 'impair-loss:lb2/eth0');
});

t.test('both at once, and a big rate gets a burst of a tick', async (t) => {
  const text = readFileSync(FILE, 'utf8').replace('      rate_kbit: 16\n', '      rate_kbit: 100000\n      loss_percent: 0.5\n');
  t.same(problemsOf(text), []);
  const l2 = resolveLab(parseScenario(text, 'x.yaml'), { stateRoot: '/run/lablb' });
  const s = l2.experiment!.steps.find((x) => x.name === 'lb1-at-16-kbit')!;
  t.same(stepKindOf('impair').explain(s, { lab: l2, datapath: 'netdev' }), [
    'ip netns exec lb1 iptables -w -t raw -I PREROUTING -i eth0 -m statistic --mode random --probability 0.0050 -j DROP',
    'ip netns exec lb1 tc qdisc replace dev eth0 root tbf rate 100000kbit burst 125kb latency 50ms',
  ]);
  const r = s.spec as { action: { loss: number; rateKbit: number } };
  t.same([r.action.loss, r.action.rateKbit], [0.005, 100000]);
  const rep = l2.experiment!.steps.find((x) => x.name === 'lb1-full-rate')!;
  t.same(stepKindOf('repair').explain(rep, { lab: l2, datapath: 'netdev' }).length, 2, 'repair takes both off');
});

t.test('every mistake at its field', async (t) => {
  const text = readFileSync(FILE, 'utf8');
  const swap = (from: string, to: string) => {
    t.ok(text.includes(from), from);
    return problemsOf(text.replace(from, to));
  };
  t.same(swap('      loss_percent: 30\n', ''), ['experiment.steps[3]: say how to impair it: loss_percent: N and/or rate_kbit: N']);
  t.match(swap('      loss_percent: 30\n', '      loss_percent: 0\n'), [/experiment\.steps\[3\]\.loss_percent: /]);
  t.match(swap('      loss_percent: 30\n', '      loss_percent: 101\n'), [/experiment\.steps\[3\]\.loss_percent: /]);
  t.match(swap('      rate_kbit: 16\n', '      rate_kbit: 4\n'), [/experiment\.steps\[6\]\.rate_kbit: /]);
  t.match(swap('      rate_kbit: 16\n', '      rate_kbit: "16; reboot"\n'), [/experiment\.steps\[6\]\.rate_kbit: expected a number/]);
  t.match(
    swap('    - name: lb2-hears-again\n      kind: repair\n      port: lb2/eth0', '    - name: lb2-hears-again\n      kind: repair\n      port: client/eth0'),
    ['experiment.steps[2].port: no earlier impair step impairs client/eth0'],
  );
  t.match(swap('      port: lb2/eth0\n      loss_percent: 100', '      port: lb2/eth9\n      loss_percent: 100'), [/experiment\.steps\[1\]\.port: .*eth9/]);
});

t.test('lablb impair: the options checked as the fields are, and what is still to undo', async (t) => {
  t.same(impairmentOf('lb2', 'eth0', { loss: '30' }), { node: 'lb2', port: 'eth0', loss: 0.3 });
  t.same(impairmentOf('lb1', 'eth0', { rate: '64', loss: '0.5' }), { node: 'lb1', port: 'eth0', loss: 0.005, rateKbit: 64 });
  t.same(impairmentOf('lb1', 'eth0', { clear: true }), { node: 'lb1', port: 'eth0' });
  for (const loss of ['0', '101', '30%', '-5', '1e2', '30 -j ACCEPT']) t.throws(() => impairmentOf('a', 'b', { loss }), /--loss: /, loss);
  for (const rate of ['7', '1.5', '64kbit', '10000001']) t.throws(() => impairmentOf('a', 'b', { rate }), /--rate: /, rate);
  t.throws(() => impairmentOf('a', 'b', {}), /say how to impair it/);
  t.throws(() => impairmentOf('a', 'b', { clear: true, loss: '5' }), /--clear .* alone/);
  const undo = (id: string, what: string) => ({ kind: 'undo' as const, id, what, argv: ['true'] });
  const pending = pendingUndos([
    undo('impair-loss:a/b', 'first'),
    { kind: 'settled', id: 'impair-loss:a/b' },
    undo('impair-rate:a/b', 'rate'),
    undo('impair-loss:a/b', 'second'),
  ]);
  t.same([...pending.keys()].sort(), ['impair-loss:a/b', 'impair-rate:a/b']);
  t.equal(pending.get('impair-loss:a/b')!.what, 'second', 'an undo made again after it was settled is pending');
  t.same([...pendingUndos([undo('x', 'x'), { kind: 'settled', id: 'x' }]).keys()], []);
});

t.test('lablb impair on the command line: help, and mistakes refused before root', async (t) => {
  t.match(lablb('impair', '--help').out, /^Usage: sudo lablb impair \[lab\] <node>:<port>/);
  t.match(lablb('--help').out, /\n {2}impair \[lab\] <node:port> /);
  for (const [args, err] of [
    [['impair', 'vm1:eth0'], /say how to impair it/],
    [['impair', 'vm1:eth0', '--loss', 'lots'], /--loss: "lots" is not a percentage/],
    [['impair', 'vm1;id:eth0', '--loss', '5'], /impair takes node:port, got "vm1;id:eth0"/],
    [['impair'], /impair takes \[lab\] node:port/],
  ] as const) {
    const r = lablb(...args);
    t.equal(r.code, 2, args.join(' '));
    t.match(r.err, err, args.join(' '));
  }
});
