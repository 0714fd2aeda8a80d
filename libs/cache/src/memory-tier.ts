import { LRUCache } from 'lru-cache';

export interface MemoryTierOptions {
  maxEntries: number;
  /** Bound on the sum of entry sizes (serialized JSON length). */
  maxBytes: number;
  /** Entries larger than this are not stored. */
  maxEntryBytes: number;
  /** Called when an entry leaves because of the bounds ('evict') or its TTL ('expire'). */
  onEvict?: (reason: 'evict' | 'expire') => void;
}

/** A Keyv entry as read on the hot path. */
interface Decoded {
  value: unknown;
  expires: number | null;
}

/**
 * One stored entry: the serialized Keyv entry as Keyv handed it over, replaced by its decoded form on the first
 * read (so a hit parses nothing, and the entry is not held twice). `size` is the serialized length.
 */
interface Slot {
  raw: string | null;
  decoded: Decoded | null;
  size: number;
}

/**
 * The in-process tier: an LRU bounded by entries AND bytes (lru-cache), used as a Keyv store by cache-manager.
 * Keyv hands it serialized strings, so an entry's size is the length of its JSON. Entries are tagged with
 * the (client, table) they were read from, so an invalidation can drop exactly those.
 */
export class MemoryTier {
  private readonly lru: LRUCache<string, Slot>;
  /** key → tag, and tag → keys (kept in step by the LRU's dispose hook). */
  private readonly tagOf = new Map<string, string>();
  private readonly byTag = new Map<string, Set<string>>();
  /** Keyv store adapter fields. */
  opts: Record<string, unknown> = {};
  namespace?: string;

  constructor(private readonly o: MemoryTierOptions) {
    this.lru = new LRUCache<string, Slot>({
      max: o.maxEntries,
      maxSize: o.maxBytes,
      maxEntrySize: o.maxEntryBytes,
      sizeCalculation: (v) => v.size,
      dispose: (_v, key, reason) => {
        if (reason === 'set') return; // replaced in place: the key (and its tag) stays
        this.untag(key);
        if (reason === 'evict' || reason === 'expire') o.onEvict?.(reason);
      },
    });
  }

  /** Remember which (client, table) the next `set(key)` belongs to. */
  tag(key: string, tag: string): void {
    const prev = this.tagOf.get(key);
    if (prev === tag) return;
    if (prev !== undefined) this.byTag.get(prev)?.delete(key);
    this.tagOf.set(key, tag);
    let set = this.byTag.get(tag);
    if (!set) this.byTag.set(tag, (set = new Set()));
    set.add(key);
  }

  private untag(key: string): void {
    const tag = this.tagOf.get(key);
    if (tag === undefined) return;
    this.tagOf.delete(key);
    const set = this.byTag.get(tag);
    if (set) {
      set.delete(key);
      if (set.size === 0) this.byTag.delete(tag);
    }
  }

  /** Drops every entry tagged `tag`; returns how many. */
  dropTag(tag: string): number {
    const set = this.byTag.get(tag);
    if (!set) return 0;
    const keys = [...set];
    for (const k of keys) {
      this.lru.delete(k);
      this.tagOf.delete(k); // also for a key tagged but not stored yet (its store is still in flight)
    }
    this.byTag.delete(tag);
    return keys.length;
  }

  /** Drops every entry whose tag starts with `prefix` (e.g. all tables of one client). */
  dropTagPrefix(prefix: string): number {
    let n = 0;
    for (const tag of [...this.byTag.keys()]) if (tag.startsWith(prefix)) n += this.dropTag(tag);
    return n;
  }

  get entries(): number {
    return this.lru.size;
  }

  get bytes(): number {
    return this.lru.calculatedSize;
  }

  /**
   * Hot-path read without Keyv's async layers: the entry Keyv stored (`{"value":…,"expires":…}`, serialized with
   * JSON.stringify by ResponseCacheService), parsed once on its first read, and its expiry honoured.
   */
  read<T>(key: string): T | undefined {
    const slot = this.lru.get(key);
    if (slot === undefined) return undefined;
    let d = slot.decoded;
    if (d === null) {
      const e = JSON.parse(slot.raw!) as { value?: unknown; expires?: unknown };
      d = { value: e.value, expires: typeof e.expires === 'number' ? e.expires : null };
      slot.decoded = d;
      slot.raw = null;
    }
    if (d.expires !== null && Date.now() > d.expires) {
      this.lru.delete(key);
      return undefined;
    }
    return d.value as T | undefined;
  }

  // --- Keyv store adapter (Map-like) -------------------------------------------------------------------------

  get(key: string): string | undefined {
    const slot = this.lru.get(key);
    if (slot === undefined) return undefined;
    // Keyv reads the serialized form; an entry already decoded by `read` is serialized again (off the hot path).
    return slot.raw ?? JSON.stringify(slot.decoded);
  }

  set(key: string, value: string, ttl?: number): boolean {
    if (typeof value !== 'string' || value.length > this.o.maxEntryBytes) {
      this.untag(key);
      return false;
    }
    const slot: Slot = { raw: value, decoded: null, size: Math.max(1, value.length) };
    this.lru.set(key, slot, ttl && ttl > 0 ? { ttl } : undefined);
    if (!this.lru.has(key)) this.untag(key);
    return true;
  }

  has(key: string): boolean {
    return this.lru.has(key);
  }

  delete(key: string): boolean {
    return this.lru.delete(key);
  }

  /** In-process only (never touches Redis). */
  clear(): void {
    this.lru.clear();
    this.tagOf.clear();
    this.byTag.clear();
  }

  on(): this {
    return this;
  }
}
