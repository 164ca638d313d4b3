// The capture step: tcpdump spawned in the node's network namespace with its token, into a pcap
// in the node's dir, and waited for until it listens; at the run's end stopped and read back as
// a `capture` event on the events' clock; its filter checked word by word.
import t from 'tap';
import { capture, decodedLines, CAPTURE_EVENT_LINES } from '../../src/steps/capture.js';
import type { Op } from '../../src/kinds/ops.js';
import type { LabStep } from '../../src/model.js';
import { fakeHost } from '../fake-host.js';
import { labFromText, problemsOf, ROOT } from '../helpers.js';
import { harness } from '../step-harness.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const pair = readFileSync(join(ROOT, 'test', 'fixtures', 'impairments.yaml'), 'utf8');
const withSteps = (steps: string) => pair.slice(0, pair.indexOf('  steps:\n')) + `  steps:\n${steps}`;

t.test('resolved: the pcap in the node dir, its token, the filter as words; ops spawn tcpdump and wait for its file', async (t) => {
  const lab = labFromText(withSteps('    - { name: adverts, kind: capture, port: lb2/eth0, filter: "vrrp or arp" }\n'));
  const step = lab.experiment!.steps[0];
  const a = (step.spec as { action: { file: string; token: string; filter: string[]; maxPackets: number } }).action;
  const lb2 = lab.nodes.find((n) => n.name === 'lb2')!;
  t.equal(a.file, join(lb2.dir, 'capture-adverts.pcap'));
  t.equal(a.token, `${lab.name}/lb2/capture-adverts`);
  t.same(a.filter, ['vrrp', 'or', 'arp']);
  t.equal(a.maxPackets, 10_000, 'the default bound');
  const h = harness(lab, () => {});
  const check = await capture.run(step as LabStep<never>, h.ctx);
  t.ok(check.ok, check.detail);
  t.match(check.detail, 'capturing on lb2/eth0 (vrrp or arp) until the run ends');
  const [spawn, wait] = h.applied as [Extract<Op, { kind: 'spawn' }>, Extract<Op, { kind: 'wait-path' }>];
  t.equal(spawn.kind, 'spawn');
  t.match(spawn.argv.join(' '), `nsenter --net=/run/netns/lb2 tcpdump -i eth0 -n -U -Z root -c 10000 -w ${a.file} -- vrrp or arp`);
  t.same(spawn.env, { LABLB_TOKEN: a.token });
  t.same(spawn.creates, [{ kind: 'process', name: 'lb2/capture-adverts', token: a.token }]);
  t.same(wait, { kind: 'wait-path', path: a.file, timeoutMs: 5000, what: 'tcpdump listening on lb2/eth0' });
  t.match(capture.explain(step as LabStep<never>, { lab } as never).join('\n'), /tcpdump -i eth0 .* -- vrrp or arp/);
});

t.test('finish: stopped by its token, read back, told as one event on the events clock', async (t) => {
  const lab = labFromText(withSteps('    - { name: adverts, kind: capture, port: lb2/eth0, max_packets: 5 }\n'));
  const step = lab.experiment!.steps[0] as LabStep<never>;
  const a = (step.spec as { action: { file: string; token: string } }).action;
  const host = fakeHost({
    stdout: {
      'tcpdump -r':
        '1733380000.250000 aa > bb, ethertype IPv4: 10.1.0.12 > 224.0.0.18: VRRPv2, Advertisement\nreading from file x\n1733380001.000500 cc > dd, ethertype ARP: Request who-has 10.1.0.100 tell 10.1.0.100\n',
    },
  });
  host.files.set(a.file, 'pcap');
  const h = harness(lab, () => {}, [], host);
  h.ctx.startedAt = 1733380000_000;
  await capture.finish!(step, h.ctx);
  t.same(h.applied, [{ kind: 'stop', token: a.token, graceMs: 2000, what: 'the capture on lb2/eth0' }]);
  t.match(host.log.join('\n'), `run tcpdump -r ${a.file} -n -tt -e`);
  t.same(h.emitted, [
    {
      type: 'capture',
      name: 'adverts',
      port: 'lb2/eth0',
      file: a.file,
      packets: 2,
      lines: [
        { at_ms: 250, text: 'aa > bb, ethertype IPv4: 10.1.0.12 > 224.0.0.18: VRRPv2, Advertisement' },
        { at_ms: 1000, text: 'cc > dd, ethertype ARP: Request who-has 10.1.0.100 tell 10.1.0.100' },
      ],
    },
  ]);
  // No pcap (tcpdump never listened): nothing to tell.
  const none = harness(lab, () => {});
  await capture.finish!(step, none.ctx);
  t.same(none.emitted, []);
});

t.test('decodedLines: each packet its time on the clock, at most so many told', async (t) => {
  t.same(decodedLines('10.000001 a\n11.5 not a packet line\n12.999999 b\n', 10_000), [
    { at_ms: 0, text: 'a' },
    { at_ms: 2999, text: 'b' },
  ]);
  t.ok(CAPTURE_EVENT_LINES >= 100);
});

t.test('a filter word that is not BPF is named at its field', async (t) => {
  t.match(problemsOf(withSteps('    - { name: c, kind: capture, port: lb2/eth0, filter: "vrrp -w x" }\n')), [/filter: "-w" is not a word of a tcpdump filter/]);
  t.match(problemsOf(withSteps('    - { name: c, kind: capture, port: lb9/eth0 }\n')), [/port/]);
});
