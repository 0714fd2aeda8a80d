/**
 * Coalesces identical concurrent calls: while a call for `key` is in flight, later callers with the same
 * key get the same promise instead of starting another execution. Nothing is cached after it settles.
 */
export class SingleFlight<T> {
  private readonly inflight = new Map<string, Promise<T>>();

  /** `shared` is true when the caller joined an execution someone else started. */
  run(key: string, fn: () => Promise<T>): { promise: Promise<T>; shared: boolean } {
    const existing = this.inflight.get(key);
    if (existing) return { promise: existing, shared: true };
    const promise = fn().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return { promise, shared: false };
  }

  get size(): number {
    return this.inflight.size;
  }
}
