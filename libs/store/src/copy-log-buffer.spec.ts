import { BatchedWriter } from '@athena/common';
import { CopyLogBuffer, CopySegment, requestLogBuffer } from './copy-log-buffer';
import type { RequestStats } from './log-copy';
import type { RequestLogRow } from './log-rows';
import { requestLogRow } from './testing';

const row = (i: number, over: Partial<RequestLogRow> = {}): RequestLogRow =>
  requestLogRow({
    created_at: `2026-12-06T07:00:${String(i % 60).padStart(2, '0')}.000Z`,
    request_id: `r${i}`,
    ...over,
  });

/** A minimal buffer over plain strings: the line is the value, the statistics count rows. */
function counting(segmentRows: number): CopyLogBuffer<string, number> {
  return new CopyLogBuffer<string, number>(
    (s) => `${s}\n`,
    () => {
      let n = 0;
      return { add: () => void n++, result: () => n };
    },
    segmentRows,
  );
}

describe('CopyLogBuffer', () => {
  it('hands out segments of at most segmentRows rows, oldest first, and keeps size in step', () => {
    const b = counting(3);
    for (let i = 0; i < 7; i++) b.push(`row${i}`);
    expect(b.size).toBe(7);
    const first = b.take(3);
    expect(first.count).toBe(3);
    expect(first.batch.text.toString()).toBe('row0\nrow1\nrow2\n');
    expect(first.batch.stats).toBe(3);
    expect(b.size).toBe(4);
    expect(b.take(3).batch.text.toString()).toBe('row3\nrow4\nrow5\n');
    // The open, partial segment is taken as it is.
    const last = b.take(3);
    expect(last.count).toBe(1);
    expect(last.batch.text.toString()).toBe('row6\n');
    expect(b.size).toBe(0);
    expect(b.take(3).count).toBe(0);
    // Rows pushed after a partial segment was taken start a new segment.
    b.push('again');
    expect(b.take(3).batch.text.toString()).toBe('again\n');
  });

  it('grows past its first capacity and writes multi-byte text as UTF-8', () => {
    const b = counting(1000);
    const long = 'é€😀'.repeat(2000) + 'x'.repeat(40_000);
    b.push(long);
    b.push('tail');
    const { batch } = b.take(1000);
    expect(batch.text.toString('utf8')).toBe(`${long}\ntail\n`);
    expect(batch.text.length).toBe(Buffer.byteLength(`${long}\ntail\n`));
  });

  it('behind a BatchedWriter: every row written once, in order, with the statistics of its own batch', async () => {
    const written: CopySegment<RequestStats>[] = [];
    const w = new BatchedWriter<RequestLogRow, CopySegment<RequestStats>>({
      label: 'request log',
      batchSize: 4,
      flushIntervalMs: 60_000,
      maxBuffered: 100,
      buffer: requestLogBuffer(4),
      write: async (seg) => {
        written.push(seg);
      },
    });
    for (let i = 0; i < 10; i++) w.push(row(i, { client: i % 2 ? 'odd' : 'even', status_code: i === 3 ? 500 : 200 }));
    await w.close();
    expect(written.map((s) => s.rows)).toEqual([4, 4, 2]);
    const ids = written.flatMap((s) =>
      s.text
        .toString('utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('\t')[1]),
    );
    expect(ids).toEqual(['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9']);
    expect(written[0].stats).toEqual({
      client: ['even', 'odd'],
      total: [2, 2],
      ok: [2, 1],
      failed: [0, 1],
      cached: [0, 0],
      last: ['2026-12-06T07:00:02.000Z', '2026-12-06T07:00:03.000Z'],
    });
    expect(written[2].stats.total).toEqual([1, 1]);
  });

  it('a row that cannot be encoded is dropped and counted; the caller never sees the error', () => {
    let dropped = 0;
    const errors: string[] = [];
    const w = new BatchedWriter<string, CopySegment<number>>({
      label: 'test log',
      batchSize: 10,
      flushIntervalMs: 60_000,
      maxBuffered: 100,
      buffer: new CopyLogBuffer<string, number>(
        (s) => {
          if (s === 'bad') throw new Error('cannot encode');
          return `${s}\n`;
        },
        () => ({ add: () => undefined, result: () => 0 }),
        10,
      ),
      ready: () => false,
      write: async () => undefined,
      onDrop: () => dropped++,
      logger: { info: () => undefined, error: (m) => errors.push(m) },
    });
    expect(w.push('good')).toBe(true);
    expect(w.push('bad')).toBe(false);
    expect(w.push('bad')).toBe(false);
    expect(w.push('good again')).toBe(true);
    expect(w.size).toBe(2);
    expect(dropped).toBe(2);
    expect(errors).toEqual(['test log: an item could not be buffered: cannot encode']);
  });

  it('refuses rows beyond maxBuffered (counted as dropped), as the array buffer does', () => {
    let dropped = 0;
    const w = new BatchedWriter<RequestLogRow, CopySegment<RequestStats>>({
      label: 'request log',
      batchSize: 500,
      flushIntervalMs: 60_000,
      maxBuffered: 3,
      buffer: requestLogBuffer(500),
      ready: () => false,
      write: async () => undefined,
      onDrop: () => dropped++,
    });
    for (let i = 0; i < 5; i++) w.push(row(i));
    expect(w.size).toBe(3);
    expect(dropped).toBe(2);
  });
});
