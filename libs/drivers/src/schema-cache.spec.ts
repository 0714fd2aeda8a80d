import { SchemaCache } from './schema-cache';

/** Pure logic of the per-client table catalogue (no backend: `load` is a counter). */
describe('SchemaCache', () => {
  const make = (tables: () => Map<string, number>, refreshMs = 0) => {
    let loads = 0;
    const cache = new SchemaCache<number>({
      load: async () => {
        loads++;
        return tables();
      },
      refreshMs,
      onRefreshError: () => undefined,
    });
    return { cache, loads: () => loads };
  };

  it('loads once for concurrent callers and then answers synchronously', async () => {
    const { cache, loads } = make(() => new Map([['public.a', 1]]));
    expect(cache.peek('public.a')).toBeUndefined();
    const [x, y] = await Promise.all([cache.find('public.a'), cache.find('public.a')]);
    expect([x, y]).toEqual([1, 1]);
    expect(loads()).toBe(1);
    expect(cache.peek('public.a')).toBe(1);
  });

  it('reloads once on a miss (a table created since), rate-limited', async () => {
    let created = false;
    const { cache, loads } = make(
      () =>
        new Map(
          created
            ? [
                ['public.a', 1],
                ['public.b', 2],
              ]
            : [['public.a', 1]],
        ),
    );
    await cache.find('public.a');
    created = true;
    expect(await cache.find('public.b')).toBe(2);
    expect(loads()).toBe(2);
    expect(await cache.find('public.nope')).toBeUndefined(); // within the gap: no third load
    expect(loads()).toBe(2);
  });

  it('invalidate() makes the next lookup reload; close() stops the refresh timer', async () => {
    const { cache, loads } = make(() => new Map([['public.a', 1]]), 10);
    await cache.find('public.a');
    cache.invalidate();
    expect(cache.peek('public.a')).toBeUndefined();
    await cache.find('public.a');
    expect(loads()).toBe(2);
    for (let i = 0; i < 200 && loads() <= 2; i++) await new Promise((r) => setTimeout(r, 10)); // background refresh
    expect(loads()).toBeGreaterThan(2);
    cache.close();
    await new Promise((r) => setTimeout(r, 10)); // let a refresh already in flight settle
    const afterClose = loads();
    await new Promise((r) => setTimeout(r, 60));
    expect(loads()).toBe(afterClose);
  });

  it('a failed load is not cached: the next lookup tries again', async () => {
    let fail = true;
    const cache = new SchemaCache<number>({
      load: async () => {
        if (fail) throw new Error('down');
        return new Map([['public.a', 1]]);
      },
      refreshMs: 0,
      onRefreshError: () => undefined,
    });
    await expect(cache.find('public.a')).rejects.toThrow('down');
    fail = false;
    expect(await cache.find('public.a')).toBe(1);
  });
});
