// Judging traffic: what a step's samples say (round robin, only these servers, a stream that
// died) and the figures behind it. Pure functions.
import t from 'tap';
import type { Sample } from '../../src/sample.js';
import { longestOutage, outages, percentile } from '../../src/stats.js';
import { countBy, judgeTraffic } from '../../src/steps/judge.js';

const reply = (seq: number, body: string, ms = 2): Sample => ({ seq, t: 1000 + seq * 50, ok: true, ms, body });
const fail = (seq: number, error = 'ECONNREFUSED'): Sample => ({ seq, t: 1000 + seq * 50, ok: false, ms: 1, error });

t.test('round robin holds when replies alternate', async (t) => {
  const v = judgeTraffic([reply(1, 'a'), reply(2, 'b'), reply(3, 'a'), reply(4, 'b')], { alternate: ['a', 'b'], maxFailed: 0 });
  t.ok(v.ok);
  t.equal(v.detail, '4/4 ok, alternating a/b (p50 2 ms)');
  t.equal(v.failed, 0);
});

t.test('round robin fails on repeats, strangers, missing servers and failures', async (t) => {
  const v = judgeTraffic([reply(1, 'a'), reply(2, 'a'), fail(3), reply(4, 'c')], { alternate: ['a', 'b'], maxFailed: 0 });
  t.notOk(v.ok);
  t.equal(v.detail, '3/4 ok; 1 failed (ECONNREFUSED), at most 0 allowed; unexpected replies c; no reply from b; 1 replies repeated the previous server');
});

t.test('samples are judged in send order, not arrival order', async (t) => {
  t.ok(judgeTraffic([reply(2, 'b'), reply(1, 'a'), reply(3, 'a')], { alternate: ['a', 'b'], maxFailed: 0 }).ok);
  // A slow reply (it waited for ARP after a VIP moved) is numbered after a quicker one sent
  // later: by number the round robin would look like a repeat.
  const sent = (seq: number, at: number, body: string): Sample => ({ ...reply(seq, body), t: 1000 + at * 50 });
  const v = judgeTraffic([sent(2, 1, 'a'), sent(1, 2, 'b'), sent(3, 3, 'a'), sent(4, 4, 'b')], { alternate: ['a', 'b'], maxFailed: 0 });
  t.ok(v.ok, v.detail);
});

t.test('only: every reply from the named servers', async (t) => {
  t.ok(judgeTraffic([reply(1, 'a'), reply(2, 'a')], { only: ['a'], maxFailed: 0 }).ok);
  const v = judgeTraffic([reply(1, 'a'), reply(2, 'b'), fail(3)], { only: ['a'], maxFailed: 1 });
  t.notOk(v.ok);
  t.equal(v.detail, '2/3 ok; replies from b, expected only a');
});

t.test('outage: the longest run of failures, send to next good send', async (t) => {
  t.equal(longestOutage([reply(1, 'a'), fail(2), fail(3), reply(4, 'a'), fail(5), reply(6, 'a')]), 100);
  t.equal(longestOutage([reply(1, 'a'), fail(2), fail(3), fail(4)]), 100, 'an outage still going counts to the last send');
  t.equal(longestOutage([reply(1, 'a')]), 0);
  t.same(outages([reply(1, 'a'), fail(2), fail(3), reply(4, 'a'), fail(5), reply(6, 'a')]), [100, 50], 'each outage, in order');
  // A timeout ends (and is numbered) a second after it was sent, after replies sent later.
  const late = (seq: number, sentAt: number): Sample => ({ ...fail(seq, 'timeout'), t: 1000 + sentAt * 50 });
  const sentAt = (seq: number, at: number): Sample => ({ ...reply(seq, 'a'), t: 1000 + at * 50 });
  t.same(outages([reply(1, 'a'), late(3, 2), sentAt(4, 4), late(5, 3), sentAt(6, 5)]), [100], 'one outage by send time, not two by arrival');
  t.same(outages([]), []);
});

t.test('percentile and failure counts', async (t) => {
  t.equal(percentile([], 50), 0);
  t.equal(percentile([5, 1, 3], 50), 3);
  t.equal(countBy(['HTTP 503', 'HTTP 503', 'ECONNRESET']), 'HTTP 503 x2, ECONNRESET x1');
});

t.test('min_failed: a stream expected to have died', async (t) => {
  const dead = [fail(1, 'no data for over 1000 ms'), fail(2, 'no data for over 1000 ms')];
  const v = judgeTraffic(dead, { maxFailed: 2, minFailed: 2 });
  t.ok(v.ok);
  t.equal(v.detail, '0/2 ok, 2 failed as expected (no data for over 1000 ms)', 'no latency figure without a reply');
  t.notOk(judgeTraffic([reply(1, 'push'), fail(2)], { maxFailed: 2, minFailed: 2 }).ok, 'one still flowing: not dead');
});
