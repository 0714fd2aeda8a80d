import { Injectable, OnModuleInit } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { SingleFlight } from '@athena/common';
import { ApiKeyCredentialRow, ApiKeysRepository, AUTH_CHANGED_CHANNEL, ControlPlaneEvents } from '@athena/store';
import { AuthClock } from './auth-clock';
import { AuthMetrics } from './auth-metrics';
import { RightsMatcher } from './rights';

/** A key row as held in memory: what verification and authorization need, compiled once. */
export interface CachedKey {
  internalId: string;
  id: string;
  publicId: string;
  salt: string;
  hash: string;
  clientName: string | null;
  /** Lower-cased binding, for the case-insensitive client comparison. */
  clientKey: string | null;
  isActive: boolean;
  expiresAtMs: number | null;
  rights: readonly string[];
  matcher: RightsMatcher;
  /** AuthContext scope: digest of the sorted rights and the client binding. */
  scope: string;
  /**
   * SHA-256 of the full plaintext once it has verified against salt/hash: later requests presenting the same
   * bytes (their digest is computed anyway for the admin-key compare and the log tag) skip the salted hash.
   * Memory only; dropped with the entry on any change.
   */
  verifiedDigest: Buffer | null;
}

/** Negative entry: no live key has this public id. */
export const NO_KEY = Object.freeze({ missing: true as const });
export type KeyEntry = CachedKey | typeof NO_KEY;

export const KEY_CACHE_TTL_MS = 10_000;
export const KEY_CACHE_MAX = 10_000;

export function keyScope(rights: readonly string[], clientName: string | null): string {
  const canonical = [...rights].sort().join('\n') + '\u0000' + (clientName ?? '').toLowerCase();
  return 'k:' + createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

function compile(row: ApiKeyCredentialRow): CachedKey {
  return {
    internalId: row.internal_id,
    id: row.id,
    publicId: row.public_id,
    salt: row.key_salt,
    hash: row.key_hash,
    clientName: row.client_name,
    clientKey: row.client_name ? row.client_name.toLowerCase() : null,
    isActive: row.is_active,
    expiresAtMs: row.expires_at ? new Date(row.expires_at).getTime() : null,
    rights: Object.freeze([...row.rights]),
    matcher: new RightsMatcher(row.rights),
    scope: keyScope(row.rights, row.client_name),
    verifiedDigest: null,
  };
}

/**
 * Verified-key cache: key rows by public id (also "no such key"), short TTL, bounded (LRU). The secret is
 * never cached — each request re-hashes what it presents against the cached salt/hash. Any key, right or
 * grant change, in this instance or another (LISTEN/NOTIFY), clears it; a generation counter stops a
 * lookup that started before the change from repopulating stale data.
 */
@Injectable()
export class KeyCache implements OnModuleInit {
  private readonly cache: LRUCache<string, KeyEntry>;
  private readonly flight = new SingleFlight<KeyEntry>();
  private generation = 0;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly events: ControlPlaneEvents,
    private readonly metrics: AuthMetrics,
    clock: AuthClock,
  ) {
    this.cache = new LRUCache<string, KeyEntry>({
      max: KEY_CACHE_MAX,
      ttl: KEY_CACHE_TTL_MS,
      perf: { now: () => clock.now() },
    });
  }

  onModuleInit(): void {
    this.events.subscribe(AUTH_CHANGED_CHANNEL, () => this.invalidate());
  }

  invalidate(): void {
    this.generation++;
    this.cache.clear();
  }

  get size(): number {
    return this.cache.size;
  }

  /** The cached entry (synchronously) or a promise of a fresh lookup; rejects when the store is down. */
  get(publicId: string): KeyEntry | Promise<KeyEntry> {
    const hit = this.cache.get(publicId);
    if (hit !== undefined) {
      this.metrics.keyCacheHit.inc();
      return hit;
    }
    this.metrics.keyCacheMiss.inc();
    return this.flight.run(publicId, () => this.load(publicId)).promise;
  }

  private async load(publicId: string): Promise<KeyEntry> {
    if (!this.repo.available) throw new Error('control plane not connected');
    const gen = this.generation;
    const row = await this.repo.findCredential(publicId);
    const entry: KeyEntry = row ? compile(row) : NO_KEY;
    if (gen === this.generation) this.cache.set(publicId, entry);
    return entry;
  }
}
