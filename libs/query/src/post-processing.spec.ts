import { caught } from '../../common/src/testing';
import type { PostProcessingSpec, Row } from './ast';
import { applyPostProcessing, decimalToNumber, parseDecimal } from './post-processing';

const spec = (over: Partial<PostProcessingSpec>): PostProcessingSpec => ({
  groupBy: 'g',
  timeGranularity: null,
  aggregationColumn: null,
  aggregationStrategy: null,
  aggregationDedup: false,
  ...over,
});

describe('applyPostProcessing', () => {
  it('groups by stringified value in ascending label order, keeping row order', () => {
    const rows: Row[] = [
      { g: 'b', id: 1 },
      { g: 'a', id: 2 },
      { g: 'b', id: 3 },
      { g: null, id: 4 },
      { id: 5 },
      { g: 10, id: 6 },
      { g: true, id: 7 },
      { g: 2, id: 8 },
    ];
    const { grouped } = applyPostProcessing(rows, spec({}));
    expect(grouped.map((b) => b.label)).toEqual(['10', '2', 'a', 'b', 'null', 'true']);
    expect(grouped.find((b) => b.label === 'b')!.rows.map((r) => r.id)).toEqual([1, 3]);
    expect(grouped.find((b) => b.label === 'null')!.rows.map((r) => r.id)).toEqual([4, 5]);
    expect(grouped.every((b) => b.aggregation === null)).toBe(true);
    expect(grouped[2].rows[0]).toBe(rows[1]);
  });

  it('returns an empty list for no rows', () => {
    expect(applyPostProcessing([], spec({ aggregationColumn: 'v' }))).toEqual({ grouped: [] });
  });

  it('buckets timestamps in UTC by day, hour and minute', () => {
    const rows: Row[] = [
      { g: '2024-01-02T10:15:30Z', v: 1 },
      { g: '2024-01-01T23:59:59.999+00:00', v: 2 },
      { g: '2024-01-02T01:30:00+02:00', v: 3 }, // 2024-01-01T23:30Z
      { g: new Date(Date.UTC(2024, 0, 2, 10, 45)), v: 4 },
      { g: '2024-01-02 10:15:59.123456', v: 5 }, // naive → UTC
      { g: '2024-01-02 10:15:00+00', v: 6 }, // pg text form
      { g: '2024-01-03', v: 7 },
    ];
    const labels = (g: 'day' | 'hour' | 'minute') =>
      applyPostProcessing(rows, spec({ timeGranularity: g })).grouped.map((b) => [b.label, b.rows.map((r) => r.v)]);
    expect(labels('day')).toEqual([
      ['2024-01-01', [2, 3]],
      ['2024-01-02', [1, 4, 5, 6]],
      ['2024-01-03', [7]],
    ]);
    expect(labels('hour')).toEqual([
      ['2024-01-01T23:00', [2, 3]],
      ['2024-01-02T10:00', [1, 4, 5, 6]],
      ['2024-01-03T00:00', [7]],
    ]);
    expect(labels('minute')).toEqual([
      ['2024-01-01T23:30', [3]],
      ['2024-01-01T23:59', [2]],
      ['2024-01-02T10:15', [1, 5, 6]],
      ['2024-01-02T10:45', [4]],
      ['2024-01-03T00:00', [7]],
    ]);
  });

  it('treats naive ISO with T as UTC too, and null timestamps as "null"', () => {
    const { grouped } = applyPostProcessing(
      [{ g: '2024-03-10T23:30:00' }, { g: null }],
      spec({ timeGranularity: 'hour' }),
    );
    expect(grouped.map((b) => b.label)).toEqual(['2024-03-10T23:00', 'null']);
  });

  it('refuses unparseable timestamps naming the value', () => {
    for (const bad of ['yesterday', '2024-13-01', '2024-02-30', 12345, { a: 1 }, new Date(NaN)]) {
      const e = caught(() => applyPostProcessing([{ g: bad }], spec({ timeGranularity: 'day' })));
      expect([e.status, e.code]).toEqual([400, 'invalid_post_processing_configuration']);
    }
    const e = caught(() => applyPostProcessing([{ g: 'yesterday' }], spec({ timeGranularity: 'day' })));
    expect(e.message).toContain('"yesterday"');
  });

  it('sums per bucket (numbers and numeric strings; others skipped) without float drift', () => {
    const rows: Row[] = [
      { g: 'a', v: 0.1 },
      { g: 'a', v: '0.2' },
      { g: 'a', v: 'n/a' },
      { g: 'a', v: null },
      { g: 'a', v: true },
      { g: 'b', v: '10.005' },
      { g: 'b', v: -3 },
      { g: 'b' },
      { g: 'c', v: 'x' },
    ];
    const { grouped } = applyPostProcessing(rows, spec({ aggregationColumn: 'v' }));
    expect(grouped.map((b) => b.aggregation)).toEqual([
      { column: 'v', strategy: null, dedup: false, bucket_value: 0.3, value: 0.3 },
      { column: 'v', strategy: null, dedup: false, bucket_value: 7.005, value: 7.005 },
      { column: 'v', strategy: null, dedup: false, bucket_value: 0, value: 0 },
    ]);
  });

  it('cumulative_sum keeps a running total across buckets in label order', () => {
    const rows: Row[] = [
      { g: '2024-01-02T10:00:00Z', v: 2 },
      { g: '2024-01-01T00:00:00Z', v: 1 },
      { g: '2024-01-03T00:00:00Z', v: '0.1' },
      { g: '2024-01-03T05:00:00Z', v: '0.2' },
    ];
    const { grouped } = applyPostProcessing(
      rows,
      spec({ timeGranularity: 'day', aggregationColumn: 'v', aggregationStrategy: 'cumulative_sum' }),
    );
    expect(grouped.map((b) => [b.label, b.aggregation!.bucket_value, b.aggregation!.value])).toEqual([
      ['2024-01-01', 1, 1],
      ['2024-01-02', 2, 3],
      ['2024-01-03', 0.3, 3.3],
    ]);
    expect(grouped[0].aggregation!.strategy).toBe('cumulative_sum');
  });

  it('dedup counts each distinct value once per bucket (1, "1.0" and "1.00" are one value)', () => {
    const rows: Row[] = [
      { g: 'a', v: 1 },
      { g: 'a', v: '1.0' },
      { g: 'a', v: '1.00' },
      { g: 'a', v: 2 },
      { g: 'b', v: 1 },
      { g: 'b', v: 1 },
    ];
    const dedup = applyPostProcessing(
      rows,
      spec({ aggregationColumn: 'v', aggregationDedup: true, aggregationStrategy: 'cumulative_sum' }),
    );
    expect(dedup.grouped.map((b) => [b.aggregation!.bucket_value, b.aggregation!.value, b.aggregation!.dedup])).toEqual(
      [
        [3, 3, true],
        [1, 4, true],
      ],
    );
    const plain = applyPostProcessing(rows, spec({ aggregationColumn: 'v' }));
    expect(plain.grouped.map((b) => b.aggregation!.bucket_value)).toEqual([5, 2]);
  });

  it('refuses a strategy without a column', () => {
    const e = caught(() => applyPostProcessing([], spec({ aggregationStrategy: 'cumulative_sum' })));
    expect([e.code, e.message]).toEqual([
      'invalid_post_processing_configuration',
      'aggregation_strategy requires aggregation_column',
    ]);
  });
});

describe('decimal helpers', () => {
  it('parses numbers, decimal strings and exponents exactly', () => {
    const n = (v: unknown) => {
      const d = parseDecimal(v);
      return d === null ? null : decimalToNumber(d);
    };
    expect(n('12.50')).toBe(12.5);
    expect(n('-0.001')).toBe(-0.001);
    expect(n('1e3')).toBe(1000);
    expect(n('1.5E-3')).toBe(0.0015);
    expect(n(' 7 ')).toBe(7);
    expect(n('.5')).toBe(0.5);
    expect(n(1e-7)).toBe(1e-7);
    expect(n(12345678901234567890n)).toBe(12345678901234567000);
    for (const bad of ['', '.', 'abc', '1,5', 'NaN', 'Infinity', '1e99999', null, true, {}, NaN])
      expect(n(bad)).toBeNull();
  });
});
