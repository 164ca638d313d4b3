// A run's events folded into what its report draws: steps on the run's clock, probe series
// with their availability, a band of states for everything that has one, and the figures.
import t from 'tap';
import type { LabEvent } from '../../src/kinds/events.js';
import { availabilityOf, figuresOf, reportData } from '../../src/report/run-data.js';
import { probeEvent } from '../../src/experiment/run.js';
import { failover } from '../run-events.js';

t.test('reportData: steps on the run clock, probes with their availability, a band for each thing with a state', async (t) => {
  const d = reportData(failover());
  t.equal(d.end_ms, 6004, 'the last thing seen: the last answer');
  t.same(d.steps, [
    { name: 'kill-master', kind: 'service', from_ms: 2000, to_ms: 5600, ok: true, detail: 'lb2 MASTER in 3500 ms' },
    { name: 'never-ends', kind: 'sleep', from_ms: 5600 },
  ]);
  t.same(
    d.probes.map((p) => [p.name, p.answered, p.lost]),
    [['http', 3, 2]],
  );
  t.same(d.probes[0].availability, [
    { at_ms: 0, percent: 100 },
    { at_ms: 2000, percent: 0 },
    { at_ms: 6000, percent: 100 },
  ]);
  const band = (label: string) => d.bands.find((b) => b.label === label)?.segments.map((s) => [s.state, s.from_ms, s.to_ms, s.tone]);
  t.same(band('lb1/vrrp VR_1'), [
    ['MASTER', 400, 2100, 'good'],
    ['FAULT', 2100, 6004, 'bad'],
  ]);
  t.same(band('lb2/vrrp VR_1'), [
    ['BACKUP', 450, 5500, 'info'],
    ['MASTER', 5500, 6004, 'good'],
  ]);
  t.same(band('lb/haproxy web1'), [['UP', 600, 6004, 'good']]);
  t.same(
    band('address 10.0.0.100'),
    [
      ['lb1', 500, 2100, 'good'],
      ['nobody', 2100, 3000, 'bad'],
      ['lb3', 3000, 5500, 'good'],
      ['lb2 + lb3', 5500, 6004, 'bad'],
    ],
    "the VIP's holder, the gap between holders, and two at once",
  );
  t.equal(d.events.length, 11, 'the timed events, not the steps, checks or notes');
  t.same(figuresOf(d.checks[0]), [
    ['takeover_ms', 3500],
    ['bound_ms', 4000],
  ]);
  t.throws(() => reportData(failover().slice(0, -1)), /no summary/);
});

t.test('an amphora and a load balancer: bands by their status', async (t) => {
  const events: LabEvent[] = [
    {
      type: 'service',
      kind: 'octavia',
      event: 'amphora',
      source: 'ctl/octavia',
      text: 'x',
      tone: 'info',
      amphora: '0123456789abcdef',
      status: 'BOOTING',
      at_ms: 10,
    },
    { type: 'service', kind: 'octavia', event: 'loadbalancer', source: 'ctl/octavia', text: 'y', tone: 'good', status: 'ACTIVE', at_ms: 20 },
    { type: 'service', kind: 'haproxy', event: 'log', source: 'lb/haproxy', text: 'says', tone: 'info', quoted: true, at_ms: 30 },
    { type: 'summary', scenario: 's', lab: 'l', ok: false, checks: [] },
  ];
  t.same(
    reportData(events).bands.map((b) => b.label),
    ['ctl/octavia amphora 01234567', 'ctl/octavia loadbalancer'],
    'a log line is no state',
  );
});

t.test('availabilityOf: per second of sending, rounded percent', async (t) => {
  t.same(availabilityOf([]), []);
  t.same(
    availabilityOf([
      [999, 1, 1],
      [10, 0, 1],
      [1000, 1, 1],
      [1500, 1, 1],
      [1999, 0, 1],
    ]),
    [
      { at_ms: 0, percent: 50 },
      { at_ms: 1000, percent: 67 },
    ],
  );
});

t.test("probeEvent: a prober's samples on the observers' clock, in the order sent", async (t) => {
  const probe = { name: 'http', from: 'ext', url: 'http://10.0.0.1/', intervalMs: 100, timeoutMs: 1000 };
  const e = probeEvent(
    probe as never,
    [
      { seq: 2, t: 10_300, ok: false, ms: 1000.4 },
      { seq: 1, t: 10_200, ok: true, ms: 2.6 },
    ],
    10_000,
  );
  t.same(e, {
    type: 'probe',
    name: 'http',
    target: 'http://10.0.0.1/',
    from: 'ext',
    interval_ms: 100,
    samples: [
      [200, 1, 3],
      [300, 0, 1000],
    ],
  });
});

t.test('reportData at its edges: order, the clock, what is no band or no timed event', async (t) => {
  const summary: LabEvent = { type: 'summary', scenario: 's', lab: 'l', ok: true, checks: [{ name: 'c', ok: true, detail: 'd', n: 1, gone: undefined }] };
  // A summary alone, first and last: nothing else to draw.
  const alone = reportData([summary]);
  t.same([alone.end_ms, alone.steps, alone.bands, alone.events, alone.captures, alone.probes], [0, [], [], [], [], []]);
  t.same(figuresOf(alone.checks[0]), [['n', 1]], 'an undefined figure is no figure');
  const d = reportData([
    // Told out of order: the bands are in time order all the same.
    { type: 'service', kind: 'k', event: 'e', source: 'n/s', text: 'B', tone: 'good', state: 'B', at_ms: 900 },
    { type: 'service', kind: 'k', event: 'e', source: 'n/s', text: 'A', tone: 'bad', state: 'A', at_ms: 100 },
    // A port's security state is no band; a step and a check are no timed event.
    { type: 'security', port: 'vm1/eth0', state: 'port security off', at_ms: 300 },
    { type: 'step', name: 'x', kind: 'wait', index: 1, total: 1, at_ms: 200 },
    // A check of a step that never started (warm-up's) ends no step.
    { type: 'check', name: 'warm-up', ok: false, detail: 'w', at_ms: 250 },
    { type: 'check', name: 'x', ok: true, detail: 'ok' },
    { type: 'probe', name: 'p', target: 't', from: 'f', interval_ms: 10, samples: [] },
    { type: 'capture', name: 'c1', port: 'n/eth0', file: '/f.pcap', packets: 1, lines: [{ at_ms: 5, text: 'x' }] },
    { type: 'address', node: 'n', address: '10.0.0.1', dev: 'eth0', held: true, at_ms: 1500 },
    summary,
  ]);
  t.equal(d.end_ms, 1500, 'the last event, past every probe result');
  t.same(
    d.bands.find((b) => b.label === 'n/s e')!.segments.map((s) => [s.state, s.from_ms, s.to_ms, s.tone]),
    [
      ['A', 100, 900, 'bad'],
      ['B', 900, 1500, 'good'],
    ],
  );
  t.same(
    d.bands.map((b) => b.label),
    ['n/s e', 'address 10.0.0.1'],
  );
  t.same(d.steps, [{ name: 'x', kind: 'wait', from_ms: 200, to_ms: 1500, ok: true, detail: 'ok' }], 'a check without a time ends its step at the end');
  t.same(
    d.events.map((e) => [e.at_ms, e.text, e.tone]),
    [
      [900, 'B', 'good'],
      [100, 'A', 'bad'],
      [300, 'vm1/eth0: port security off', 'info'],
      [1500, 'n now holds 10.0.0.1 on eth0', 'info'],
    ],
  );
  t.same(d.captures, [{ name: 'c1', port: 'n/eth0', file: '/f.pcap', packets: 1, lines: [{ at_ms: 5, text: 'x' }] }]);
  t.same(d.probes[0].availability, []);
  t.same(
    availabilityOf([
      [2500, 1, 1],
      [100, 0, 1],
    ]),
    [
      { at_ms: 0, percent: 0 },
      { at_ms: 2000, percent: 100 },
    ],
    'in time order',
  );
});
