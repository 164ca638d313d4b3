// seed 004 for real (scenarios/octavia.yaml), in both topologies: the controller boots its
// amphorae through the lab's API and configures them over their agents' REST API; the
// article's trigger (the serving amphora's lb-mgmt-net port admin-state down) stops its
// heartbeats, the health manager fails it over, and the replacement keeps the VRRP port.
import t, { type Test } from 'tap';
import { lablb } from '../helpers.js';
import { hostState, realHostSkip, settledHostState } from '../host-state.js';

const skip = realHostSkip(t, 'haproxy', 'keepalived', 'iptables-restore');

interface Event {
  type: string;
  kind?: string;
  event?: string;
  source?: string;
  text?: string;
  status?: string;
  path?: string;
  method?: string;
  when?: string;
  panels?: { title: string; lines: string[] }[];
}

function runOctavia(t: Test, topology: 'SINGLE' | 'ACTIVE_STANDBY') {
  const r = lablb('run', 'octavia', '--json', '--set', `topology=${topology}`);
  t.equal(r.code, 0, r.err);
  const events = r.out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Event & Record<string, unknown>);
  const summary = events.at(-1) as unknown as { checks: ({ name: string; ok: boolean; detail: string } & Record<string, number>)[] };
  for (const c of summary.checks) t.ok(c.ok, `${c.name}: ${c.detail}`);
  return { events, checks: Object.fromEntries(summary.checks.map((c) => [c.name, c])) };
}

/** The amphora table's rows at the end, from the facts event: id, status, role, mgmt ip, vrrp ip. */
function amphoraTable(events: Event[]): string[][] {
  const end = events.find((e) => e.type === 'facts' && e.when === 'end');
  const lines = end?.panels?.find((p) => p.title.startsWith('Octavia'))?.lines ?? [];
  return lines.flatMap((l) => {
    const m = /^\s*([0-9a-f]{8}) (\S+)\s+(\S+)\s+lb_network_ip (\S+)\s+vrrp_ip (\S+)/.exec(l);
    return m ? [m.slice(1)] : [];
  });
}

const requestsOf = (events: Event[], node: string) =>
  events.filter((e) => e.type === 'service' && e.kind === 'amphora-agent' && e.source === `${node}/amphora-agent`).map((e) => `${e.method} ${e.path}`);

for (const topology of ['ACTIVE_STANDBY', 'SINGLE'] as const) {
  t.test(`run octavia (${topology}): the failover replaces the serving amphora; the host as found`, { skip }, async (t) => {
    const before = hostState();
    const { events, checks } = runOctavia(t, topology);
    const rows = amphoraTable(events);
    const amphorae = topology === 'SINGLE' ? 1 : 2;
    t.equal(rows.length, amphorae + 1, `${amphorae} amphorae and a replacement in the table: ${JSON.stringify(rows)}`);
    const deleted = rows.filter((r) => r[1] === 'DELETED');
    const allocated = rows.filter((r) => r[1] === 'ALLOCATED');
    t.equal(deleted.length, 1, 'one amphora deleted');
    t.equal(allocated.length, amphorae, 'all serving again');
    const replacement = rows.at(-1)!;
    t.equal(replacement[1], 'ALLOCATED');
    t.equal(replacement[4], deleted[0][4], 'the replacement has the old VRRP port (its vrrp_ip)');
    t.equal(replacement[2], deleted[0][2], 'and its role');
    t.not(replacement[3], deleted[0][3], 'and a new lb_network_ip');
    if (topology === 'SINGLE') {
      // The article's own rows: b07c2493 on .10 replaced by 57865deb on .11, vrrp_ip 10.0.0.12.
      t.same(deleted[0].slice(0, 5), ['b07c2493', 'DELETED', 'STANDALONE', '192.168.0.10', '10.0.0.12']);
      t.same(replacement.slice(0, 5), ['57865deb', 'ALLOCATED', 'STANDALONE', '192.168.0.11', '10.0.0.12']);
    }

    const step = checks['mgmt-port-down'];
    // Stale after heartbeat_timeout (5 s): not before, and within a heartbeat and a check more.
    t.ok(step.detected_ms >= 5000 && step.detected_ms <= 5000 + 1000 + 1000 + 500, `detected after ${step.detected_ms} ms (bound 5000-7500)`);
    t.ok(step.failover_ms > step.detected_ms, `rebuilt by ${step.failover_ms} ms`);

    // The replacement's agent log: the article's sequence of calls, in its order.
    const node = `amphora-${replacement[0]}`;
    const calls = requestsOf(events, node).filter((c) => !c.endsWith('/info'));
    const listener = '816339a8-2e17-4b61-8825-c6856d7b7f2e';
    t.match(calls[0], new RegExp(`^PUT /0\\.5/listeners/${replacement[0]}[0-9a-f-]{28}/${listener}/haproxy$`), 'ListenersUpdate first');
    t.same(
      calls.slice(1),
      [
        `GET /0.5/listeners/${listener}`,
        `PUT /0.5/listeners/${listener}/start`,
        'POST /0.5/plug/vip/10.0.0.11',
        'POST /0.5/plug/network',
        ...(topology === 'ACTIVE_STANDBY' ? [`GET /0.5/interface/${replacement[4]}`, 'PUT /0.5/vrrp/upload', 'PUT /0.5/vrrp/start'] : []),
        `PUT /0.5/listeners/${listener}/start`,
      ],
      "the replacement's agent log: ListenersUpdate, PostVIPPlug, PostNetworkPlug, (VRRP), ListenersStart",
    );
    t.ok(
      events.some((e) => e.type === 'service' && e.kind === 'octavia' && /PENDING_DELETE -> DELETED/.test(e.text ?? '')),
      'the stale amphora went PENDING_DELETE -> DELETED',
    );
    if (topology === 'ACTIVE_STANDBY') {
      t.ok(
        events.some((e) => e.type === 'service' && e.kind === 'octavia' && e.event === 'vip'),
        'the VIP moved to the other amphora',
      );
      t.equal(checks['after-failover'].failed_requests ?? 0, 0, 'no second outage once the replacement joined (nopreempt)');
    }
    t.same(await settledHostState(before), before, 'host as found');
  });
}
