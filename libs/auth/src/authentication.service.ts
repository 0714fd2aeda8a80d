import { Inject, Injectable } from '@nestjs/common';
import { createHash, hash, timingSafeEqual } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import { AthenaError, GatewayCall, Principal } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { ROOT_LOGGER } from '@athena/observability';
import { parseApiKey, verifySecret } from './api-key-format';
import { AuthAudit } from './auth-audit';
import { AuthErrors } from './auth-errors';
import { AuthMetrics } from './auth-metrics';
import type { AuthPolicy } from './auth.decorators';
import { ADMIN_CONTEXT, AuthPrincipal, isAuthPrincipal, keyContext, newPrincipal, Presented } from './auth-principal';
import { EnforcementService } from './enforcement.service';
import { isQuerySource, KeyCandidate } from './key-extraction';
import { CachedKey, KeyCache, KeyEntry, NO_KEY } from './key-cache';

/** The static admin key, read per request from the environment (empty = unset). */
export function configuredAdminKey(): string | null {
  const v = process.env.ATHENA_KEY_12;
  return v && v !== '' ? v : null;
}

let adminMemo: { key: string; digest: Buffer } | null = null;
/** SHA-256 of the current admin key (recomputed only when ATHENA_KEY_12 changes). */
function adminDigest(key: string): Buffer {
  if (adminMemo?.key !== key) adminMemo = { key, digest: sha256(key) };
  return adminMemo.digest;
}

/** One-shot SHA-256 (crypto.hash: no Hash object per call on the hot path). */
const ONE_SHOT = typeof hash === 'function'; // Node ≥ 20.12
function sha256(s: string): Buffer {
  return ONE_SHOT ? hash('sha256', s, 'buffer') : createHash('sha256').update(s).digest();
}

/**
 * Authentication, transport-free: the credentials a call presents → an AuthPrincipal. Admin key for admin
 * policies; for gateway policies the enforcement lookup, key parsing, verification (cached), active/expiry and
 * client binding. Throws the 401/403/503 of a failed check when enforcement applies; otherwise logs it and lets
 * the call proceed anonymously. The fast path (cached enforcement flag and key) is synchronous: no await, no I/O.
 * Edges: the HTTP auth hook (before the body is read), the WebSocket dispatcher, the deferred worker.
 */
@Injectable()
export class AuthenticationService {
  private readonly logger: PinoLogger;
  private lastQueryWarn = 0;
  private lastFailOpenWarn = 0;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly enforcement: EnforcementService,
    private readonly keys: KeyCache,
    private readonly audit: AuthAudit,
    private readonly metrics: AuthMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'auth' });
  }

  /** Authenticates `call` under `policy` with the credentials it presented, for `client` (default: the call's). */
  authenticate(
    call: GatewayCall,
    policy: AuthPolicy,
    candidates: readonly KeyCandidate[],
    client: string | null = call.client,
  ): AuthPrincipal | Promise<AuthPrincipal> {
    const presented: Presented[] =
      candidates.length === 0
        ? []
        : candidates.map((c) => ({ source: c.source, value: c.value, digest: sha256(c.value) }));
    if (presented.length > 0) this.noteQueryKeys(call, presented);
    return this.establish(call, policy, presented, client);
  }

  /**
   * True when one of `candidates` is the static admin key (constant-time compare), without authenticating or
   * auditing: for public routes that show more to the operator (e.g. `/health/cluster`'s per-client detail).
   */
  presentsAdminKey(candidates: readonly KeyCandidate[]): boolean {
    const adminKey = candidates.length > 0 ? configuredAdminKey() : null;
    if (adminKey === null) return false;
    return (
      adminMatch(
        adminKey,
        candidates.map((c) => ({ source: c.source, value: c.value, digest: sha256(c.value) })),
      ) !== null
    );
  }

  /**
   * Authenticates the call again for `client` (a payload naming its client, e.g. `/query/sql`'s `db_name`), so
   * that client's enforcement override and the key's client binding apply; replaces `call.principal`.
   */
  rebind(call: GatewayCall, client: string, right: string): void | Promise<void> {
    const prev = call.principal;
    const presented = isAuthPrincipal(prev) ? prev.presented : [];
    const p = this.establish(call, { kind: 'right', right, by: 'service' }, presented, client);
    if (!(p instanceof Promise)) {
      call.principal = p;
      return;
    }
    return p.then((s) => {
      call.principal = s;
    });
  }

  /**
   * The principal of a stored call (a deferred job), re-established from the identity kept with it — the key's
   * ids, never a secret — against the key's current row and the current enforcement, so a key revoked, expired
   * or re-bound since the call was queued no longer acts. Same failures (and audit rows) as a live call.
   */
  async restore(call: GatewayCall, stored: StoredIdentity): Promise<AuthPrincipal> {
    const st = newPrincipal(call.client, []);
    if (stored.kind === 'admin') {
      st.kind = 'admin';
      st.enforced = true;
      st.context = ADMIN_CONTEXT;
      return st;
    }
    try {
      st.enforced = await this.enforcement.isEnforced(call.client);
    } catch (e) {
      return this.policyDown(call, st, null, e);
    }
    if (stored.kind !== 'key' || stored.publicId === null) {
      return st.enforced ? this.reject(call, st, null, 'api_key_required', AuthErrors.apiKeyRequired(), false) : st;
    }
    let entry: KeyEntry;
    try {
      entry = await this.keys.get(stored.publicId);
    } catch (e) {
      return this.keyStoreDown(call, st, e);
    }
    const key = entry === NO_KEY ? null : (entry as CachedKey);
    if (key === null || key.id !== stored.apiKeyId)
      return this.reject(call, st, null, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    return this.admit(call, st, null, key);
  }

  private establish(
    call: GatewayCall,
    policy: AuthPolicy,
    presented: readonly Presented[],
    client: string | null,
  ): AuthPrincipal | Promise<AuthPrincipal> {
    if (policy.kind === 'admin') return this.admin(call, client, presented);
    const adminKey = presented.length > 0 ? configuredAdminKey() : null;
    const adminHit = adminKey !== null ? adminMatch(adminKey, presented) : null;
    const st = newPrincipal(client, presented);
    if (adminHit) {
      st.kind = 'admin';
      st.enforced = true;
      st.candidate = adminHit;
      st.context = ADMIN_CONTEXT;
      return st;
    }
    // The presented gateway key: the first candidate shaped like one, else the first candidate.
    st.candidate = presented.find((c) => c.value.startsWith('ath_')) ?? presented[0] ?? null;
    const known = policy.kind === 'right' ? policy.right : null;
    let enforced: boolean | Promise<boolean>;
    try {
      enforced = this.enforcement.isEnforced(client);
    } catch (e) {
      return this.policyDown(call, st, known, e);
    }
    if (typeof enforced === 'boolean') return this.withEnforcement(call, st, enforced, known);
    return enforced.then(
      (on) => this.withEnforcement(call, st, on, known),
      (e) => this.policyDown(call, st, known, e),
    );
  }

  /** True when `call` presented the static admin key (for admin policies). */
  private admin(call: GatewayCall, client: string | null, presented: readonly Presented[]): AuthPrincipal {
    const adminKey = configuredAdminKey();
    if (adminKey === null) {
      this.audit.count('error', 'admin_key_not_configured', true);
      this.logger.error(
        { request_id: call.requestId },
        'an admin route was called but ATHENA_KEY_12 is not set: admin routes answer 500 until it is',
      );
      throw AuthErrors.adminKeyNotConfigured();
    }
    const match = adminMatch(adminKey, presented);
    const st = newPrincipal(client, presented);
    st.enforced = true;
    st.candidate = match ?? presented[0] ?? null;
    this.audit.record(call, st, 'admin', {
      credential: match ? 'admin_key' : presented.length > 0 ? 'api_key' : 'none',
      authenticated: match !== null,
      authorized: match !== null,
      outcome: match ? 'allowed' : 'denied',
      reason: match ? 'admin_key' : 'invalid_admin_key',
    });
    if (!match) {
      this.audit.count('denied', 'invalid_admin_key', true);
      throw AuthErrors.invalidAdminKey();
    }
    this.audit.count('allowed', 'admin_key', true);
    st.kind = 'admin';
    st.candidate = match;
    st.context = ADMIN_CONTEXT;
    return st;
  }

  private noteQueryKeys(call: GatewayCall, presented: readonly Presented[]): void {
    for (const c of presented) {
      if (!isQuerySource(c.source)) continue;
      this.metrics.deprecatedQueryKey.inc({ source: c.source });
      const now = Date.now();
      if (now - this.lastQueryWarn > 60_000) {
        this.lastQueryWarn = now;
        this.logger.warn(
          { request_id: call.requestId, source: c.source },
          'API key sent in the query string: deprecated transport — send it in a header; the value is redacted from logs',
        );
      }
    }
  }

  private policyDown(call: GatewayCall, st: AuthPrincipal, known: string | null, e: unknown): AuthPrincipal {
    this.metrics.storeErrors.inc({ operation: 'enforcement' });
    if (this.config.gateway.api_key_fail_mode === 'fail_open') {
      this.failOpen('enforcement lookup', e);
      this.audit.count('fail_open', 'api_key_policy_unavailable', false);
      st.kind = 'store_down';
      return st;
    }
    this.audit.count('error', 'api_key_policy_unavailable', true);
    this.logger.error(
      { request_id: call.requestId, err: (e as Error).message, required: known },
      'API key policy unavailable (fail_closed → 503)',
    );
    throw AuthErrors.policyUnavailable();
  }

  private failOpen(what: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastFailOpenWarn > 10_000) {
      this.lastFailOpenWarn = now;
      this.logger.warn(
        { during: what, err: (e as Error).message },
        'auth store unavailable; gateway.api_key_fail_mode=fail_open lets requests through without key enforcement',
      );
    }
  }

  private withEnforcement(
    call: GatewayCall,
    st: AuthPrincipal,
    enforced: boolean,
    known: string | null,
  ): AuthPrincipal | Promise<AuthPrincipal> {
    st.enforced = enforced;
    if (!st.candidate) {
      if (!enforced) return st; // no attempt, nothing to log
      return this.reject(call, st, known, 'api_key_required', AuthErrors.apiKeyRequired(), false);
    }
    st.parsed = parseApiKey(st.candidate.value);
    if (!st.parsed) return this.reject(call, st, known, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    let entry: KeyEntry | Promise<KeyEntry>;
    try {
      entry = this.keys.get(st.parsed.publicId);
    } catch (e) {
      return this.keyStoreDown(call, st, e);
    }
    if (!(entry instanceof Promise)) return this.verify(call, st, known, entry);
    return entry.then(
      (en) => this.verify(call, st, known, en),
      (e) => this.keyStoreDown(call, st, e),
    );
  }

  private keyStoreDown(call: GatewayCall, st: AuthPrincipal, e: unknown): AuthPrincipal {
    this.metrics.storeErrors.inc({ operation: 'key_lookup' });
    if (this.config.gateway.api_key_fail_mode === 'fail_open') {
      this.failOpen('key lookup', e);
      this.audit.count('fail_open', 'api_key_validation_unavailable', st.enforced);
      st.kind = 'store_down';
      return st;
    }
    if (!st.enforced) {
      // Not enforced: the call proceeds anonymously; the failed check is counted.
      this.audit.count('allowed', 'api_key_validation_unavailable', false);
      return st;
    }
    this.audit.count('error', 'api_key_validation_unavailable', true);
    this.logger.error(
      { request_id: call.requestId, err: (e as Error).message },
      'API key validation unavailable (fail_closed → 503)',
    );
    throw AuthErrors.validationUnavailable();
  }

  private verify(call: GatewayCall, st: AuthPrincipal, known: string | null, entry: KeyEntry): AuthPrincipal {
    if (entry === NO_KEY) return this.reject(call, st, known, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    const key = entry as CachedKey;
    const digest = st.candidate!.digest;
    const seen = key.verifiedDigest !== null && timingSafeEqual(key.verifiedDigest, digest);
    if (!seen) {
      if (!verifySecret(key.salt, st.parsed!.secret, key.hash))
        return this.reject(call, st, known, 'invalid_api_key', AuthErrors.invalidApiKey(), false, key);
      key.verifiedDigest = digest;
    }
    return this.admit(call, st, known, key);
  }

  /** A genuine key: active, not expired, bound to the principal's client (if bound at all). */
  private admit(call: GatewayCall, st: AuthPrincipal, known: string | null, key: CachedKey): AuthPrincipal {
    if (!key.isActive) return this.reject(call, st, known, 'inactive_api_key', AuthErrors.inactiveApiKey(), false, key);
    if (key.expiresAtMs !== null && key.expiresAtMs <= Date.now())
      return this.reject(call, st, known, 'expired_api_key', AuthErrors.expiredApiKey(), false, key);
    if (key.clientKey !== null && key.clientKey !== (st.client ?? '').toLowerCase()) {
      return this.reject(
        call,
        st,
        known,
        'api_key_client_mismatch',
        AuthErrors.clientMismatch(key.clientName!),
        true,
        key,
      );
    }
    st.kind = 'key';
    st.key = key;
    st.context = keyContext(key);
    return st;
  }

  /** A failed check: thrown when enforced; otherwise logged and the call proceeds (anonymously, or as the genuine key). */
  private reject(
    call: GatewayCall,
    st: AuthPrincipal,
    required: string | null,
    reason: string,
    err: AthenaError,
    authenticated: boolean,
    key?: CachedKey,
  ): AuthPrincipal {
    this.audit.record(
      call,
      st,
      required,
      {
        credential: st.candidate ? 'api_key' : 'none',
        authenticated,
        authorized: false,
        outcome: st.enforced ? 'denied' : 'allowed',
        reason,
      },
      key,
    );
    this.audit.count(st.enforced ? 'denied' : 'allowed', reason, st.enforced);
    if (st.enforced) throw err;
    if (authenticated && key) {
      // Not enforced, the key is genuine (e.g. bound to another client): keep its identity downstream.
      this.audit.touch(key);
      st.context = keyContext(key);
    }
    st.kind = 'anonymous';
    st.key = null;
    return st;
  }
}

/** Who made a call, in a form that can be stored with it (no secret): see AuthenticationService.restore. */
export interface StoredIdentity {
  kind: 'admin' | 'key' | 'anonymous';
  apiKeyId: string | null;
  publicId: string | null;
}

/** The storable identity of an established principal (a failed or skipped check stores as anonymous). */
export function storedIdentity(p: Principal): StoredIdentity {
  if (isAuthPrincipal(p) && p.kind === 'admin') return { kind: 'admin', apiKeyId: null, publicId: null };
  if (isAuthPrincipal(p) && p.kind === 'key' && p.key)
    return { kind: 'key', apiKeyId: p.key.id, publicId: p.key.publicId };
  return { kind: 'anonymous', apiKeyId: null, publicId: null };
}

/** The candidate equal to the admin key (digests compared in constant time; every candidate is compared). */
function adminMatch(adminKey: string, presented: readonly Presented[]): Presented | null {
  const want = adminDigest(adminKey);
  let found: Presented | null = null;
  for (const c of presented) if (timingSafeEqual(c.digest, want) && !found) found = c;
  return found;
}
