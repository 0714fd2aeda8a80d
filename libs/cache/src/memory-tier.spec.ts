import { MemoryTier } from './memory-tier';

describe('MemoryTier', () => {
  it('is bounded by entries (LRU order) and counts evictions', () => {
    const evicted: string[] = [];
    const m = new MemoryTier({
      maxEntries: 3,
      maxBytes: 1_000_000,
      maxEntryBytes: 1000,
      onEvict: (r) => evicted.push(r),
    });
    for (const k of ['a', 'b', 'c']) m.set(k, `"${k}"`);
    m.get('a'); // a is now most recent
    m.set('d', '"d"');
    expect(m.entries).toBe(3);
    expect(m.has('b')).toBe(false);
    expect(['a', 'c', 'd'].every((k) => m.has(k))).toBe(true);
    expect(evicted).toEqual(['evict']);
  });

  it('is bounded by bytes and refuses entries larger than max_entry_bytes', () => {
    const m = new MemoryTier({ maxEntries: 100, maxBytes: 100, maxEntryBytes: 60 });
    m.set('big', 'x'.repeat(61));
    expect(m.has('big')).toBe(false);
    m.set('a', 'x'.repeat(40));
    m.set('b', 'x'.repeat(40));
    expect(m.bytes).toBe(80);
    m.set('c', 'x'.repeat(40));
    expect(m.bytes).toBeLessThanOrEqual(100);
    expect(m.has('a')).toBe(false);
    expect(m.has('c')).toBe(true);
  });

  it('expires entries by TTL', async () => {
    const evicted: string[] = [];
    const m = new MemoryTier({ maxEntries: 10, maxBytes: 1000, maxEntryBytes: 100, onEvict: (r) => evicted.push(r) });
    m.set('k', '"v"', 30);
    expect(m.get('k')).toBe('"v"');
    await new Promise((r) => setTimeout(r, 60));
    expect(m.get('k')).toBeUndefined();
    expect(evicted).toEqual(['expire']);
  });

  it('reads Keyv entries synchronously and honours their expiry', () => {
    const m = new MemoryTier({ maxEntries: 10, maxBytes: 1000, maxEntryBytes: 200 });
    m.set('live', JSON.stringify({ value: { a: 1 }, expires: Date.now() + 10_000 }));
    m.set('forever', JSON.stringify({ value: [1] }));
    m.set('dead', JSON.stringify({ value: 'x', expires: Date.now() - 1 }));
    expect(m.read('live')).toEqual({ a: 1 });
    expect(m.read('forever')).toEqual([1]);
    expect(m.read('dead')).toBeUndefined();
    expect(m.has('dead')).toBe(false);
    expect(m.read('missing')).toBeUndefined();
  });

  it('parses an entry once: later reads return the decoded value, and Keyv still reads the serialized form', () => {
    const m = new MemoryTier({ maxEntries: 10, maxBytes: 1000, maxEntryBytes: 200 });
    const raw = JSON.stringify({ value: { rows: 1, json: '{"a":1}' }, expires: Date.now() + 10_000 });
    m.set('k', raw);
    const first = m.read<{ rows: number; json: string }>('k');
    expect(first).toEqual({ rows: 1, json: '{"a":1}' });
    expect(m.read('k')).toBe(first);
    expect(JSON.parse(m.get('k')!)).toEqual(JSON.parse(raw));
    expect(m.bytes).toBe(raw.length);
    m.set('k', JSON.stringify({ value: { rows: 2, json: '[]' } }));
    expect(m.read('k')).toEqual({ rows: 2, json: '[]' });
  });

  it('drops exactly the entries of one tag, or of a tag prefix, and keeps the index in step with evictions', () => {
    const m = new MemoryTier({ maxEntries: 3, maxBytes: 1000, maxEntryBytes: 100 });
    m.tag('k1', 'main\u0000public.items');
    m.set('k1', '1');
    m.tag('k2', 'main\u0000public.items');
    m.set('k2', '2');
    m.tag('k3', 'main\u0000public.other');
    m.set('k3', '3');
    m.set('k2', '22'); // replaced in place: still tagged
    expect(m.dropTag('main\u0000public.items')).toBe(2);
    expect(m.has('k1') || m.has('k2')).toBe(false);
    expect(m.has('k3')).toBe(true);
    m.tag('k4', 'x\u0000public.items');
    m.set('k4', '4');
    expect(m.dropTagPrefix('main\u0000')).toBe(1);
    expect(m.has('k4')).toBe(true);
    // evicted keys leave the index
    for (const k of ['e1', 'e2', 'e3']) {
      m.tag(k, 'x\u0000public.items');
      m.set(k, '0');
    }
    expect(m.entries).toBe(3);
    expect(m.dropTag('x\u0000public.items')).toBe(3);
    expect(m.entries).toBe(0);
  });
});
