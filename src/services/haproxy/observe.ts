// What lablb sees of a running haproxy: each member's state from the stats socket, its own log
// lines from the log ring, the rows it draws and the events it tells. Only this kind reads its
// facts; waits and the screen ask it (memberStatus, rows, unsettled).
import type { Cell, KindObserver, ObserverContext, Row } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { serviceFacts, type Facts } from '../../kinds/facts.js';
import type { PipedChild } from '../../host.js';
import { serviceEvent, type EventTone } from '../../kinds/events.js';
import type { HaproxySpec } from './haproxy.js';
import { LOG_RING } from './render.js';
import { parseShowStat } from './stats.js';

/** A member as its load balancer sees it. */
export interface MemberFact {
  /** The node that hosts it. */
  node: string;
  /** UP, DOWN, "UP 1/3" (going down), "DOWN 1/2" (going up), MAINT, ... */
  status: string;
  sessions: number;
  checkStatus: string;
}

/** One load balancer's facts: member id -> its state (absent until haproxy reports it). */
export type HaproxyFacts = Record<string, MemberFact>;

export const haproxyFacts = (facts: Facts, lb: { node: string; name: string }): HaproxyFacts => serviceFacts(facts, lb, () => ({}));

/** The lines of haproxy's log worth telling (a server changing state, a backend with none
 *  left), without the syslog header; undefined for the rest (one line per request). */
export function haproxyLogMessage(line: string): string | undefined {
  const message = line.replace(/^<\d+>\w{3} +\d+ [\d:]+ \S+ haproxy\[\d+\]: /, '');
  return /^(Server \S+ is (UP|DOWN)|backend \S+ has no server available)/.test(message) ? message.trim() : undefined;
}

const statusTone = (status: string): Cell['tone'] => (status.startsWith('DOWN') ? 'bad' : status === 'UP' ? 'good' : 'warn');
const eventTone = (status: string): EventTone => (status.startsWith('DOWN') ? 'bad' : status === 'UP' ? 'good' : 'info');

/** "qlbaas-01/lb: member vm2 is DOWN" (with "in pool P" when the load balancer has several). */
export function memberEvent(lb: LabService<HaproxySpec>, member: { node: string; pool: string }, status: string, at_ms: number) {
  const pool = lb.spec.frontends.length > 1 ? member.pool : undefined;
  const text = `${lb.node}/${lb.name}: member ${member.node}${pool ? ` in pool ${pool}` : ''} is ${status}`;
  return serviceEvent('haproxy', lb, 'member', { text, tone: eventTone(status) }, { member: member.node, pool, status }, at_ms);
}

/** haproxy's own words: "qlbaas-01/lb says: Server p/m2 is DOWN, ...". */
function logEvent(lb: LabService<HaproxySpec>, message: string, at_ms: number) {
  const tone: EventTone = /is DOWN|no server available/.test(message) ? 'bad' : /is UP/.test(message) ? 'good' : 'info';
  return serviceEvent('haproxy', lb, 'log', { text: `${lb.node}/${lb.name} says: ${message}`, tone, quoted: true }, { message }, at_ms);
}

export function haproxyObserver(services: LabService<HaproxySpec>[], ctx: ObserverContext): KindObserver {
  const streams = new Map<string, PipedChild>();
  const followed = new Set<string>();
  // haproxy's own log lines, streamed from its log ring as they come: the whole ring the first
  // time, only new lines when following again (after observing restarted, or haproxy did).
  const follow = (lb: LabService<HaproxySpec>) => {
    const key = `${lb.node}/${lb.name}`;
    if (streams.has(key) || !ctx.host.exists(lb.spec.eventsSocket)) return;
    const stream = ctx.host.unixStream(lb.spec.eventsSocket, `show events ${LOG_RING} -w${followed.has(key) ? ' -n' : ''}\n`);
    streams.set(key, stream);
    followed.add(key);
    stream.onLine((line) => {
      const message = haproxyLogMessage(line);
      if (message) ctx.emit(logEvent(lb, message, ctx.since()));
    });
    // A stream closed late must not forget the one that replaced it.
    stream.onExit(() => {
      if (streams.get(key) === stream) streams.delete(key);
    });
  };
  return {
    everyMs: 100,
    close: () => {
      for (const s of streams.values()) s.stop();
      streams.clear();
    },
    async poll() {
      services.forEach(follow);
      await Promise.all(
        services.map(async (lb) => {
          let rows;
          try {
            rows = parseShowStat(await ctx.host.unixRequest(lb.spec.statsSocket, 'show stat\n'));
          } catch {
            return; // not up yet, or restarting
          }
          const seen = haproxyFacts(ctx.facts, lb);
          for (const f of lb.spec.frontends) {
            for (const m of f.pool.members) {
              const row = rows.find((r) => r.pxname === f.pool.id && r.svname === m.id);
              if (!row) continue;
              const before = seen[m.id];
              seen[m.id] = { node: m.node, status: row.status, sessions: row.scur, checkStatus: row.checkStatus };
              if (before && before.status !== row.status) ctx.emit(memberEvent(lb, { node: m.node, pool: f.pool.id }, row.status, ctx.since()));
            }
          }
        }),
      );
    },
  };
}

/** A header per listener, then a row per member of its pool. */
export function haproxyRows(s: LabService<HaproxySpec>, facts: Facts): Row[] {
  const seen = haproxyFacts(facts, s);
  return s.spec.frontends.flatMap(({ listener, pool }, i) => {
    const head: Row = [
      { text: i === 0 ? `${s.node}/${s.name}` : ' '.repeat(`${s.node}/${s.name}`.length), tone: 'bold' },
      { text: ` haproxy ${listener.address}:${listener.port} ${listener.protocol} ${pool.lbMethod}` },
    ];
    return [
      head,
      ...pool.members.map((m): Row => {
        const st = seen[m.id];
        return [
          { text: ` ${m.node}`, width: 8 },
          { text: `${m.address}:${m.port}`, width: 15 },
          { text: st?.status ?? '?', tone: st ? statusTone(st.status) : 'dim', width: 9 },
          { text: `sess ${String(st?.sessions ?? '-').padEnd(3)} ${st?.checkStatus || '-'}`, tone: 'dim' },
        ];
      }),
    ];
  });
}

/** Undefined once every member is UP; otherwise which are not. */
export function haproxyUnsettled(s: LabService<HaproxySpec>, facts: Facts): string | undefined {
  const seen = haproxyFacts(facts, s);
  const down = s.spec.frontends.flatMap((f) => f.pool.members).filter((m) => seen[m.id]?.status !== 'UP');
  if (down.length === 0) return undefined;
  return `load balancer members not UP: ${down.map((m) => `${m.node} ${seen[m.id]?.status ?? 'no stats'}`).join(', ')}`;
}
