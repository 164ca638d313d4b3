// What lablb sees of a running keepalived: each VRRP instance's state, read from its own log
// ("(VR_1) Entering MASTER STATE") rather than a process per poll. Only this kind reads its facts.
import { logReader, type Cell, type KindObserver, type ObserverContext, type Row } from '../../kinds/service-kind.js';
import type { LabService } from '../../model.js';
import { holdersOf, serviceFacts, type Facts } from '../../kinds/facts.js';
import { serviceEvent } from '../../kinds/events.js';
import type { KeepalivedSpec } from './keepalived.js';
import { vrrpTransitions } from '../shared/keepalived-log.js';

/** One keepalived's facts: instance name -> its state as the daemon last said (INIT until it
 *  says otherwise; then BACKUP, MASTER, FAULT, STOP). */
export type KeepalivedFacts = Record<string, string>;

export const keepalivedFacts = (facts: Facts, s: { node: string; name: string }): KeepalivedFacts => serviceFacts(facts, s, () => ({}));

/** An instance's state now. */
export const vrrpState = (facts: Facts, s: { node: string; name: string }, instance: string): string => keepalivedFacts(facts, s)[instance] ?? 'INIT';

/** "lb2/vrrp VR_1: MASTER". */
export function vrrpEvent(s: LabService<KeepalivedSpec>, instance: string, state: string, at_ms: number) {
  const tone = state === 'MASTER' ? 'good' : state === 'FAULT' ? 'bad' : 'info';
  return serviceEvent(
    'keepalived',
    s,
    'vrrp',
    { text: `${s.node}/${s.name} ${instance}: ${state}`, tone },
    { node: s.node, service: s.name, instance, state },
    at_ms,
  );
}

export function keepalivedObserver(services: LabService<KeepalivedSpec>[], ctx: ObserverContext): KindObserver {
  const gained = logReader(ctx.host);
  return {
    everyMs: 100,
    async poll() {
      for (const s of services) {
        const text = gained(s.logfile);
        const seen = keepalivedFacts(ctx.facts, s);
        // Every change, in order: a MASTER that lasted less than a poll is still an event.
        for (const { instance, state } of vrrpTransitions(text)) {
          if (!s.spec.instances.some((i) => i.name === instance) || (seen[instance] ?? 'INIT') === state) continue;
          seen[instance] = state;
          ctx.emit(vrrpEvent(s, instance, state, ctx.since()));
        }
      }
    },
  };
}

const stateTone = (state: string): Cell['tone'] => (state === 'MASTER' ? 'good' : state === 'BACKUP' ? 'bold' : 'warn');

/** A row per instance: its state, and whether the node holds each VIP now. */
export function keepalivedRows(s: LabService<KeepalivedSpec>, facts: Facts): Row[] {
  return s.spec.instances.map((i): Row => {
    const state = vrrpState(facts, s, i.name);
    return [
      { text: `${s.node}/${s.name}`, tone: 'bold' },
      { text: ` ${i.name} id ${i.vrid} prio ${i.priority} ` },
      { text: state, tone: stateTone(state) },
      // Whether it holds its VIPs now: with the SIGKILL trap, two nodes do.
      ...i.vips.map((v): Cell =>
        holdersOf(facts, v.address).includes(s.node) ? { text: ` holds ${v.address}`, tone: 'accent' } : { text: ` VIP ${v.address}`, tone: 'dim' },
      ),
    ];
  });
}

export function keepalivedUnsettled(s: LabService<KeepalivedSpec>, facts: Facts): string | undefined {
  const init = s.spec.instances.filter((i) => vrrpState(facts, s, i.name) === 'INIT');
  return init.length ? `VRRP instances not yet elected: ${init.map((i) => `${s.node}/${i.name}`).join(', ')}` : undefined;
}
