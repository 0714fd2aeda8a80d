import { SingleFlight } from './single-flight';

describe('SingleFlight', () => {
  it('shares one execution between concurrent identical calls and forgets it afterwards', async () => {
    const sf = new SingleFlight<number>();
    let calls = 0;
    let release!: (v: number) => void;
    const fn = () => {
      calls++;
      return new Promise<number>((r) => {
        release = r;
      });
    };
    const a = sf.run('k', fn);
    const b = sf.run('k', fn);
    expect(a.shared).toBe(false);
    expect(b.shared).toBe(true);
    expect(sf.size).toBe(1);
    release(7);
    await expect(Promise.all([a.promise, b.promise])).resolves.toEqual([7, 7]);
    expect(calls).toBe(1);
    expect(sf.size).toBe(0);
    const c = sf.run('k', () => Promise.resolve(8));
    expect(c.shared).toBe(false);
    await expect(c.promise).resolves.toBe(8);
  });

  it('propagates a failure to every joined caller and does not keep the failed entry', async () => {
    const sf = new SingleFlight<number>();
    const a = sf.run('k', () => Promise.reject(new Error('boom')));
    const b = sf.run('k', () => Promise.resolve(1));
    await expect(a.promise).rejects.toThrow('boom');
    await expect(b.promise).rejects.toThrow('boom');
    expect(sf.size).toBe(0);
  });

  it('keeps different keys apart', async () => {
    const sf = new SingleFlight<string>();
    const a = sf.run('a', () => Promise.resolve('A'));
    const b = sf.run('b', () => Promise.resolve('B'));
    expect(b.shared).toBe(false);
    await expect(Promise.all([a.promise, b.promise])).resolves.toEqual(['A', 'B']);
  });
});
