// Judging traffic and parsing what haproxy and iptables report: pure functions.
import t from 'tap';
import { parseShowStat } from '../../src/drivers/haproxy-stats.js';
import { parseSaveCounters } from '../../src/drivers/iptables.js';
import { judgeTraffic, longestOutage, percentile, type Sample } from '../../src/experiment/expect.js';
import { countBy } from '../../src/experiment/steps.js';
import { parseVrrpLog } from '../../src/observe/keepalived-watch.js';

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
});

t.test('percentile and failure counts', async (t) => {
  t.equal(percentile([], 50), 0);
  t.equal(percentile([5, 1, 3], 50), 3);
  t.equal(countBy(['HTTP 503', 'HTTP 503', 'ECONNRESET']), 'HTTP 503 x2, ECONNRESET x1');
});

t.test('haproxy show stat CSV', async (t) => {
  const csv = [
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lbtot,tracked,type,rate,rate_lim,rate_max,check_status',
    'fe,FRONTEND,,,1,2,100,40,0,0,0,0,0,,,,,OPEN,,,,,,,,,1,2,0,,,,0,0,0,5,',
    'pool,m1,0,0,0,1,,20,0,0,,0,,0,0,0,0,UP,1,1,0,0,0,12,0,,1,3,1,,20,,2,0,,3,L4OK',
    'pool,m2,0,0,0,1,,20,0,0,,0,,0,0,0,0,DOWN 1/2,1,1,0,3,1,2,5,,1,3,2,,20,,2,0,,3,L4CON',
    '',
  ].join('\n');
  const rows = parseShowStat(csv);
  t.equal(rows.length, 3);
  t.same(rows[2], { pxname: 'pool', svname: 'm2', status: 'DOWN 1/2', scur: 0, stot: 20, checkStatus: 'L4CON', lastchg: 2 });
});

t.test('iptables-save -c counters', async (t) => {
  const text = `*nat
:PREROUTING ACCEPT [5:300]
[12:720] -A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100
[0:0] -A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100
COMMIT
`;
  const c = parseSaveCounters(text);
  t.equal(c.size, 2);
  t.equal(c.get('-A neutron-l3-agent-PREROUTING -d 10.255.253.100/32 -j DNAT --to-destination 10.0.0.100'), 12);
  t.equal(c.get('-A neutron-l3-agent-float-snat -s 10.0.0.100/32 -j SNAT --to-source 10.255.253.100'), 0);
});

t.test('keepalived log: the last state each instance entered', async (t) => {
  const log = `Sun Nov 22 04:18:27 2026: (VR_1) Entering BACKUP STATE (init)
Sun Nov 22 04:18:30 2026: (VR_1) Entering MASTER STATE
Sun Nov 22 04:18:31 2026: (VR_2) Entering BACKUP STATE
Sun Nov 22 04:18:35 2026: (VR_1) Entering FAULT STATE
`;
  t.same([...parseVrrpLog(log)], [['VR_1', 'FAULT'], ['VR_2', 'BACKUP']]);
  t.same([...parseVrrpLog('nothing here')], []);
});
