import { capResult } from './result-cap';

describe('capResult', () => {
  const env = {
    status: 'success',
    message: 'Query executed',
    data: Array.from({ length: 100 }, (_, i) => ({ id: i, pad: 'x'.repeat(50) })),
    count: 100,
  };

  it('keeps an answer that fits as it is', () => {
    expect(capResult(env, 1 << 20)).toEqual({ result: env, truncated: false });
  });

  it('drops trailing rows until the JSON fits, and says so', () => {
    const { result, truncated } = capResult(env, 2000);
    expect(truncated).toBe(true);
    const r = result as typeof env & { truncated: boolean; returned: number };
    expect(Buffer.byteLength(JSON.stringify(r))).toBeLessThanOrEqual(2000);
    expect(r.truncated).toBe(true);
    expect(r.data.length).toBeGreaterThan(0);
    expect(r.data).toEqual(env.data.slice(0, r.data.length));
    expect(r.count).toBe(100);
    expect(r.returned).toBe(r.data.length);
  });

  it('an envelope too large even without rows keeps status and message only', () => {
    const big = { status: 'success', message: 'm', data: [], note: 'y'.repeat(5000) };
    expect(capResult(big, 1024)).toEqual({
      result: { status: 'success', message: 'm', truncated: true },
      truncated: true,
    });
  });
});
