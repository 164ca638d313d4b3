// A step's context over recorded state, for unit tests of step kinds: the engine's apply is
// recorded, observation runs a callback that changes the facts, and the probe replays samples.
import type { ProbeFeed, StepContext } from '../src/kinds/step-kind.js';
import type { Lab } from '../src/model.js';
import { emptyFacts, type Facts } from '../src/kinds/facts.js';
import type { Op } from '../src/kinds/ops.js';
import type { Sample } from '../src/sample.js';
import { fakeHost, type FakeHost } from './fake-host.js';
import { liveTopology } from '../src/experiment/live-topology.js';

/** A probe feed over fixed samples; next() takes the ones sent after `now`. */
export function feed(samples: Sample[], name = 'vip'): ProbeFeed {
  return {
    name,
    intervalMs: 20,
    timeoutMs: 200,
    samples,
    sentSince: (since) => samples.filter((s) => s.t >= since),
    next: async (count) => samples.slice(-count),
  };
}

export interface Harness {
  ctx: StepContext;
  applied: Op[];
  polls: string[][];
  /** What the step told (notes). */
  emitted: unknown[];
}

/** `onPoll(n, facts)` changes the facts as the n-th poll would find them. */
export function harness(lab: Lab, onPoll: (n: number, facts: Facts) => void, samples: Sample[] = [], host: FakeHost = fakeHost()): Harness {
  const facts = emptyFacts();
  const applied: Op[] = [];
  const polls: string[][] = [];
  const emitted: unknown[] = [];
  const probe = feed(samples);
  facts.probes.vip = samples;
  const ctx: StepContext = {
    startedAt: Date.now(),
    lab,
    host,
    apply: async (ops) => void applied.push(...ops),
    facts,
    observe: async (ids) => {
      polls.push(ids);
      onPoll(polls.length, facts);
    },
    probe: (name) => (name === 'vip' ? probe : undefined),
    emit: (e) => void emitted.push(e),
    datapath: 'netdev',
    topology: liveTopology(lab),
    signal: new AbortController().signal,
  };
  return { ctx, applied, polls, emitted };
}
