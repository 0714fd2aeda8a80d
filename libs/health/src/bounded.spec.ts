import { mapBounded } from './bounded';

describe('mapBounded', () => {
  it('never has more than `limit` calls in flight and keeps the input order', async () => {
    let inFlight = 0;
    let peak = 0;
    const out = await mapBounded(
      Array.from({ length: 50 }, (_, i) => i),
      8,
      async (i) => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setImmediate(r));
        inFlight--;
        return i * 2;
      },
    );
    expect(out).toEqual(Array.from({ length: 50 }, (_, i) => i * 2));
    expect(peak).toBe(8);
  });

  it('handles an empty list and a limit above the list size', async () => {
    expect(await mapBounded([], 4, async (x: number) => x)).toEqual([]);
    expect(await mapBounded([1, 2], 100, async (x) => x + 1)).toEqual([2, 3]);
  });
});
