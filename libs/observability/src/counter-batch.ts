import type { Counter, LabelValues } from 'prom-client';

/**
 * Per-request counter increments without prom-client's per-call work (a child's `inc()` still hashes its label
 * set and validates it on every call): each label set gets a slot whose count grows as a plain number, and the
 * pending counts are added to the prom-client counter when it is collected — on every scrape of `/metrics`. The
 * exposed totals are the same; they are brought up to date at read time.
 */
export class CounterBatch<L extends string> {
  private readonly slots = new Map<string, { labels: LabelValues<L>; n: number }>();

  constructor(private readonly counter: Counter<L>) {
    const previous = (counter as unknown as { collect?: () => unknown }).collect;
    (counter as unknown as { collect: () => unknown }).collect = () => {
      this.flush();
      return previous?.call(counter);
    };
  }

  /** The slot for one label set (callers keep it: incrementing is then `slot.n++`). */
  slot(key: string, labels: LabelValues<L>): { n: number } {
    let s = this.slots.get(key);
    if (!s) this.slots.set(key, (s = { labels, n: 0 }));
    return s;
  }

  /** Adds the pending counts to the counter (called by collect; also usable directly). */
  flush(): void {
    for (const s of this.slots.values()) {
      if (s.n === 0) continue;
      this.counter.inc(s.labels, s.n);
      s.n = 0;
    }
  }
}
