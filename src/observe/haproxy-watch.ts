// Polls every haproxy of a lab through its stats socket and reports member state changes.
// One `show stat` per load balancer per tick.
import { showStat } from '../drivers/haproxy-stats.js';
import type { HaproxyService, Lab } from '../model.js';
import { allServices } from '../model.js';
import type { Emit } from '../report/events.js';

export interface MemberState {
  loadbalancer: string;
  member: string;
  node: string;
  status: string;
  sessions: number;
  checkStatus: string;
}

export class HaproxyWatch {
  /** Keyed by `${lb node}/${lb name}/${member id}`. */
  readonly members = new Map<string, MemberState>();
  private timer?: NodeJS.Timeout;
  private running = false;
  private readonly lbs: HaproxyService[];
  private readonly started = Date.now();

  constructor(lab: Lab, private readonly emit: Emit) {
    this.lbs = allServices(lab).filter((s): s is HaproxyService => s.kind === 'haproxy');
  }

  start(intervalMs = 50): void {
    this.running = true;
    const tick = async () => {
      await this.poll();
      // stop() may have come while the poll was in flight: do not schedule another.
      if (this.running) this.timer = setTimeout(tick, intervalMs);
    };
    void tick();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
  }

  allMembersUp(): boolean {
    const expected = this.lbs.reduce((n, lb) => n + lb.pool.members.length, 0);
    const states = [...this.members.values()];
    return states.length === expected && states.every((m) => m.status === 'UP');
  }

  status(lb: { node: string; service: string }, memberId: string): string | undefined {
    return this.members.get(`${lb.node}/${lb.service}/${memberId}`)?.status;
  }

  async poll(): Promise<void> {
    await Promise.all(
      this.lbs.map(async (lb) => {
        let rows;
        try {
          rows = await showStat(lb.statsSocket);
        } catch {
          return; // not up yet, or restarting
        }
        for (const m of lb.pool.members) {
          const row = rows.find((r) => r.pxname === lb.pool.id && r.svname === m.id);
          if (!row) continue;
          const key = `${lb.node}/${lb.name}/${m.id}`;
          const before = this.members.get(key);
          const state = {
            loadbalancer: `${lb.node}/${lb.name}`,
            member: m.id,
            node: m.node,
            status: row.status,
            sessions: row.scur,
            checkStatus: row.checkStatus,
          };
          this.members.set(key, state);
          if (before && before.status !== row.status) {
            this.emit({ type: 'member', loadbalancer: state.loadbalancer, member: m.node, status: row.status, at_ms: Date.now() - this.started });
          }
        }
      }),
    );
  }
}
