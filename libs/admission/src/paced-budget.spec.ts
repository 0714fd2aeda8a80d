import { MemoryPacedBudget, PacedBudget } from './paced-budget';

describe('PacedBudget (GCRA)', () => {
  const clock = () => {
    let t = 1_000_000;
    return { now: () => t, advance: (ms: number) => (t += ms) };
  };

  it('an idle budget admits its whole window at once, then refuses with the time to the next admission', () => {
    const c = clock();
    const b = new MemoryPacedBudget(new PacedBudget(10, 1000), c.now);
    for (let i = 0; i < 10; i++) expect(b.take('k').admitted).toBe(true);
    expect(b.take('k')).toEqual({ admitted: false, retryMs: 100 });
    c.advance(99);
    expect(b.take('k')).toEqual({ admitted: false, retryMs: 1 });
    c.advance(1);
    expect(b.take('k').admitted).toBe(true);
    expect(b.take('other').admitted).toBe(true); // keys are independent
  });

  it('under sustained overload admissions are spread evenly, never more than N × (T/window + 1)', () => {
    const c = clock();
    const b = new MemoryPacedBudget(new PacedBudget(200, 1000), c.now);
    const admittedAt: number[] = [];
    // 10× the budget for 5 s: one call every 0.5 ms.
    for (let i = 0; i < 10_000; i++) {
      if (b.take('all').admitted) admittedAt.push(c.now());
      c.advance(0.5);
    }
    expect(admittedAt.length).toBeLessThanOrEqual(200 * (5 + 1));
    expect(admittedAt.length).toBeGreaterThanOrEqual(200 * 5);
    // After the initial burst, consecutive admissions are one interval (5 ms) apart: no burst at window starts.
    const steady = admittedAt.filter((t) => t >= 1_000_000 + 1000);
    const gaps = steady.slice(1).map((t, i) => t - steady[i]);
    expect(gaps.length).toBeGreaterThan(500);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(5);
    // Any 1 s span after the burst holds at most the budget (+1 for the span's edge).
    for (let s = 1_001_000; s < 1_004_000; s += 137) {
      expect(admittedAt.filter((t) => t >= s && t < s + 1000).length).toBeLessThanOrEqual(201);
    }
  });

  it('a configured burst caps how many calls an idle budget admits at once; the sustained rate is unchanged', () => {
    const c = clock();
    const b = new MemoryPacedBudget(new PacedBudget(200, 1000, 20), c.now);
    let n = 0;
    while (b.take('k').admitted) n++;
    expect(n).toBe(20);
    c.advance(1000);
    for (n = 0; b.take('k').admitted;) n++;
    expect(n).toBe(20); // refilled to the burst, not to the window's 200
    let admitted = 0;
    for (let i = 0; i < 2000; i++, c.advance(0.5)) if (b.take('k').admitted) admitted++;
    expect(admitted).toBeGreaterThanOrEqual(199); // one second at one call per 5 ms, ± the edge
    expect(admitted).toBeLessThanOrEqual(201);
  });

  it('a budget of more than one call per ms keeps its sustained rate (the state is kept in µs)', () => {
    const c = clock();
    const b = new MemoryPacedBudget(new PacedBudget(5000, 1000, 10), c.now);
    let admitted = 0;
    // 8,000 calls/s offered for 2 s (one every 0.125 ms): 5,000/s admitted (+ the burst of 10), not 1,000/s.
    for (let i = 0; i < 16_000; i++, c.advance(0.125)) if (b.take('k').admitted) admitted++;
    expect(admitted).toBeGreaterThanOrEqual(9_990);
    expect(admitted).toBeLessThanOrEqual(10_011);
  });

  it('a budget larger than the window in ms still admits its burst', () => {
    const c = clock();
    const b = new MemoryPacedBudget(new PacedBudget(5000, 1000), c.now);
    let n = 0;
    while (b.take('k').admitted) n++;
    expect(n).toBe(5000);
  });
});
