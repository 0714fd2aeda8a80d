import { Counter, Registry } from 'prom-client';
import { CounterBatch } from './counter-batch';

describe('CounterBatch', () => {
  it('pending counts reach the exposition on every read, per label set, and are not counted twice', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 't_total', help: 'h', labelNames: ['k'] as const, registers: [registry] });
    const batch = new CounterBatch(counter);
    const a = batch.slot('a', { k: 'a' });
    const b = batch.slot('b', { k: 'b' });
    expect(batch.slot('a', { k: 'a' })).toBe(a); // one slot per key
    for (let i = 0; i < 5; i++) a.n++;
    b.n++;
    expect(await registry.metrics()).toContain('t_total{k="a"} 5');
    expect(await registry.metrics()).toContain('t_total{k="b"} 1'); // a second read adds nothing
    a.n += 2;
    const text = await registry.metrics();
    expect(text).toContain('t_total{k="a"} 7');
    expect(text).toContain('t_total{k="b"} 1');
  });
});
