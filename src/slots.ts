// At most N things at once, the rest queued. The engine runs a lab's commands through it: a
// thousand routers ready at the same moment would otherwise start a thousand processes at
// once, and on two cores they all finish later than the same work taken a few at a time.
// The queue is by rank (the engine gives a task's place in the plan), so the lab-wide work
// early in a plan (the bridges) is not left behind a thousand nodes' addresses.
interface Waiter {
  rank: number;
  go: () => void;
}

export class Slots {
  private free: number;
  private readonly queue: Waiter[] = [];

  constructor(readonly size: number) {
    this.free = size;
  }

  async use<T>(work: () => Promise<T>, rank = 0): Promise<T> {
    if (this.free > 0) this.free--;
    else await new Promise<void>((go) => this.enqueue({ rank, go }));
    try {
      return await work();
    } finally {
      // The slot passes straight to the next in line, or back to the pool.
      const next = this.queue.shift();
      if (next) next.go();
      else this.free++;
    }
  }

  /** After every waiter of the same or a lower rank: equal ranks keep their order. */
  private enqueue(w: Waiter): void {
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid].rank <= w.rank) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, w);
  }
}
