/** Where a BatchedWriter reports write failures and recoveries (a pino logger fits). */
export interface BatchedWriterLogger {
  info(message: string): void;
  error(message: string): void;
}

/**
 * Where a BatchedWriter keeps what is buffered: an array of items by default, or any accumulator that turns
 * items into batches as they arrive (e.g. rows encoded at once, so nothing long-lived stays on the JS heap).
 */
export interface BatchBuffer<T, B> {
  /** Items buffered and not yet taken. */
  readonly size: number;
  push(item: T): void;
  /** Removes up to `max` items (the oldest first) as one batch; `count` is how many it holds. */
  take(max: number): { batch: B; count: number };
}

/** The default buffer: the items themselves, in an array. */
export class ArrayBatchBuffer<T> implements BatchBuffer<T, T[]> {
  private items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  push(item: T): void {
    this.items.push(item);
  }

  take(max: number): { batch: T[]; count: number } {
    const batch = this.items.splice(0, max);
    return { batch, count: batch.length };
  }
}

export interface BatchedWriterOptions<T, B = T[]> {
  /** Used in log messages, e.g. `request log` → "writing 3 request log rows failed: …". */
  label: string;
  /** Flush as soon as this many items are buffered; also the size of one `write` call. */
  batchSize: number;
  /** Items wait at most about this long before a flush. */
  flushIntervalMs: number;
  /** Hard cap on buffered items; beyond it new items are refused and `onDrop` is called. */
  maxBuffered: number;
  /** Writes one batch. A rejection drops that batch (counted through `onWriteFailed`). */
  write(batch: B): Promise<void>;
  /** Where items wait (default: an array, batches are arrays of items). Required when B is not T[]. */
  buffer?: BatchBuffer<T, B>;
  /** False → keep buffering (bounded) and try again later; e.g. while the control plane is down. */
  ready?(): boolean;
  onDrop?(): void;
  onWritten?(count: number): void;
  onWriteFailed?(error: Error, count: number): void;
  logger?: BatchedWriterLogger;
}

/**
 * A bounded, batched, asynchronous writer. `push` only appends to memory (no I/O, no await on the caller's
 * path); a batch is written when `batchSize` items are buffered or `flushIntervalMs` after the first one.
 * When `maxBuffered` is reached, new items are dropped and counted. `close` drains before shutdown.
 * Only one write runs at a time; a failing batch is dropped (logged once per failing run).
 */
export class BatchedWriter<T, B = T[]> {
  private readonly buffer: BatchBuffer<T, B>;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failing = false;
  private refusing = false;

  constructor(private readonly opts: BatchedWriterOptions<T, B>) {
    this.buffer = opts.buffer ?? (new ArrayBatchBuffer<T>() as unknown as BatchBuffer<T, B>);
  }

  /** Number of buffered (not yet written) items. */
  get size(): number {
    return this.buffer.size;
  }

  /** Buffers one item; returns false (and calls `onDrop`) when the buffer is full. */
  push(item: T): boolean {
    if (this.buffer.size >= this.opts.maxBuffered) {
      this.opts.onDrop?.();
      return false;
    }
    try {
      this.buffer.push(item);
      this.refusing = false;
    } catch (e) {
      // A buffer that encodes on arrival refused the item: it is dropped and counted, never the caller's failure
      // (logged once per run of refusals; the drop counter counts each).
      this.opts.onDrop?.();
      if (!this.refusing)
        this.opts.logger?.error(`${this.opts.label}: an item could not be buffered: ${(e as Error).message}`);
      this.refusing = true;
      return false;
    }
    if (this.buffer.size >= this.opts.batchSize) void this.flush();
    else this.arm();
    return true;
  }

  /** Writes one batch of what is buffered. Concurrent callers share the running flush. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.writeBatch().then((wrote) => {
      this.flushing = null;
      if (this.buffer.size === 0) return;
      // Keep going while batches are full and progress is made; otherwise wait for the timer
      // (never spin while the sink is not ready).
      if (wrote && this.buffer.size >= this.opts.batchSize) void this.flush();
      else this.arm();
    });
    return this.flushing;
  }

  /**
   * Writes what is buffered (at most `maxRounds` batches) while the sink is ready. Unlike `flush`, a write
   * already running does not end it early: items pushed while it ran are written too.
   */
  async drain(maxRounds = 50): Promise<void> {
    if (this.flushing) await this.flushing;
    for (let i = 0; i < maxRounds && this.buffer.size > 0 && this.isReady(); i++) await this.flush();
  }

  /** Stops the timer and drains what is buffered (at most `maxRounds` batches) while the sink is ready. */
  async close(maxRounds = 50): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.drain(maxRounds);
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
  }

  private isReady(): boolean {
    return this.opts.ready ? this.opts.ready() : true;
  }

  private arm(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, this.opts.flushIntervalMs);
    this.timer.unref?.();
  }

  /** Resolves true when a batch was taken from the buffer (written or dropped after a failure). */
  private async writeBatch(): Promise<boolean> {
    if (this.buffer.size === 0 || !this.isReady()) return false;
    const { batch, count } = this.buffer.take(this.opts.batchSize);
    try {
      await this.opts.write(batch);
      this.opts.onWritten?.(count);
      if (this.failing) this.opts.logger?.info(`${this.opts.label} writes recovered`);
      this.failing = false;
    } catch (e) {
      this.opts.onWriteFailed?.(e as Error, count);
      if (!this.failing) {
        this.opts.logger?.error(
          `writing ${count} ${this.opts.label} rows failed: ${(e as Error).message}; dropping the batch`,
        );
      }
      this.failing = true;
    }
    return true;
  }
}
