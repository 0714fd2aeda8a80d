import type { BatchBuffer } from '@athena/common';
import {
  OperationStats,
  OperationStatsAccumulator,
  RequestStats,
  RequestStatsAccumulator,
  authLogLine,
  operationLogLine,
  requestLogLine,
} from './log-copy';
import type { AuthLogRow, OperationLogRow, RequestLogRow } from './log-rows';

/** One batch of log rows, ready for `COPY … FROM STDIN`: their text and the statistics they add. */
export interface CopySegment<S> {
  /** COPY text format lines, UTF-8. */
  text: Buffer;
  rows: number;
  stats: S;
}

/** Per-batch statistics built row by row (RequestStatsAccumulator, OperationStatsAccumulator). */
export interface StatsAccumulator<R, S> {
  add(row: R): void;
  result(): S;
}

interface Open<R, S> {
  buf: Buffer;
  bytes: number;
  rows: number;
  stats: StatsAccumulator<R, S>;
}

const FIRST_CAPACITY = 32 * 1024;

/**
 * The log writers' buffer (a BatchedWriter BatchBuffer): each row is encoded as its COPY line when it arrives
 * and copied into a Buffer outside the JS heap, and the batch's statistics are counted as it grows. What waits
 * for the next flush is therefore bytes the garbage collector never scans or moves, instead of row objects and
 * their strings surviving young-generation collections (they did: ~2.2 ms scavenge pauses under load, bench/README
 * "Issue 15, fourth round"), and a flush has nothing left to encode.
 *
 * Rows are grouped into segments of `segmentRows` (the writer's batch size); `take` hands out the oldest one.
 */
export class CopyLogBuffer<R, S> implements BatchBuffer<R, CopySegment<S>> {
  private readonly full: CopySegment<S>[] = [];
  private open: Open<R, S> | null = null;
  private buffered = 0;

  constructor(
    private readonly line: (row: R) => string,
    private readonly stats: () => StatsAccumulator<R, S>,
    private readonly segmentRows: number,
  ) {}

  get size(): number {
    return this.buffered;
  }

  push(row: R): void {
    const text = this.line(row);
    let seg = this.open;
    if (seg === null) {
      seg = { buf: Buffer.allocUnsafeSlow(FIRST_CAPACITY), bytes: 0, rows: 0, stats: this.stats() };
      this.open = seg;
    }
    // A UTF-16 code unit takes at most 3 bytes in UTF-8 (a surrogate pair: 4 bytes for 2 units).
    const need = seg.bytes + 3 * text.length;
    if (need > seg.buf.length) {
      const bigger = Buffer.allocUnsafeSlow(Math.max(need, 2 * seg.buf.length));
      seg.buf.copy(bigger, 0, 0, seg.bytes);
      seg.buf = bigger;
    }
    seg.bytes += seg.buf.write(text, seg.bytes, 'utf8');
    seg.rows++;
    seg.stats.add(row);
    this.buffered++;
    if (seg.rows >= this.segmentRows) this.close();
  }

  /**
   * The oldest segment: at most `segmentRows` rows, which the writers set to their batch size, so `max` (that
   * batch size) is already honoured by construction.
   */
  take(_max: number): { batch: CopySegment<S>; count: number } {
    if (this.full.length === 0) this.close();
    const batch = this.full.shift();
    if (batch === undefined) {
      return { batch: { text: Buffer.alloc(0), rows: 0, stats: this.stats().result() }, count: 0 };
    }
    this.buffered -= batch.rows;
    return { batch, count: batch.rows };
  }

  private close(): void {
    const seg = this.open;
    if (seg === null || seg.rows === 0) return;
    this.open = null;
    this.full.push({ text: seg.buf.subarray(0, seg.bytes), rows: seg.rows, stats: seg.stats.result() });
  }
}

/** The buffer a request-log writer keeps rows in (`segmentRows`: the writer's batch size). */
export function requestLogBuffer(segmentRows: number): CopyLogBuffer<RequestLogRow, RequestStats> {
  return new CopyLogBuffer(requestLogLine, () => new RequestStatsAccumulator(), segmentRows);
}

/** The buffer an operation-log writer keeps rows in. */
export function operationLogBuffer(segmentRows: number): CopyLogBuffer<OperationLogRow, OperationStats> {
  return new CopyLogBuffer(operationLogLine, () => new OperationStatsAccumulator(), segmentRows);
}

const NO_STATS: StatsAccumulator<unknown, null> = { add: () => undefined, result: () => null };

/** The buffer the API-key auth-log writer keeps rows in (no statistics). */
export function authLogBuffer(segmentRows: number): CopyLogBuffer<AuthLogRow, null> {
  return new CopyLogBuffer(authLogLine, () => NO_STATS, segmentRows);
}
