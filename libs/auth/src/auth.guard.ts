import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { AthenaError, AuthContext, setAuthContext } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { redactUrl, ROOT_LOGGER } from '@athena/observability';
import type { AuthLogRow } from '@athena/store';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ParsedApiKey, parseApiKey, verifySecret } from './api-key-format';
import { AuthErrors } from './auth-errors';
import { AuthLogWriter } from './auth-log-writer';
import { AuthMetrics } from './auth-metrics';
import { AUTH_POLICY, AuthPolicy, pathPolicy } from './auth.decorators';
import { EnforcementService } from './enforcement.service';
import { isQuerySource, KeyCandidate, extractKeyCandidates } from './key-extraction';
import { CachedKey, KeyCache, NO_KEY, KeyEntry } from './key-cache';
import { requiredTableRight } from './rights';

export const ADMIN_CONTEXT: AuthContext = Object.freeze({ kind: 'admin', rights: Object.freeze(['*']) as readonly string[], scope: 'admin' });

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

function sha256(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** A candidate with the SHA-256 of its value, computed once and used for the admin compare, the key check and the log tag. */
interface Presented extends KeyCandidate {
  digest: Buffer;
}

function present(candidates: KeyCandidate[]): Presented[] {
  return candidates.map((c) => ({ source: c.source, value: c.value, digest: sha256(c.value) }));
}

type Req = FastifyRequest;

interface Attempt {
  req: Req;
  client: string | null;
  enforced: boolean;
  required: string | null;
  candidate: Presented | null;
  parsed?: ParsedApiKey | null;
}

/**
 * The one global guard. Resolves each route's policy (decorator, else path safety net), reads the
 * presented credentials, and either lets the request through with an AuthContext or throws the exact
 * §1.5 error. Fast path (cached enforcement flag and key) is synchronous: no await, no I/O.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  private readonly logger: PinoLogger;
  private readonly byRoute = new Map<string, AuthPolicy | null>();
  private lastQueryWarn = 0;
  private lastFailOpenWarn = 0;

  constructor(
    private readonly reflector: Reflector,
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly enforcement: EnforcementService,
    private readonly keys: KeyCache,
    private readonly log: AuthLogWriter,
    private readonly metrics: AuthMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    // This instance's own pino logger (not Nest's process-wide static one).
    this.logger = root.child({ component: 'auth' });
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Req>();
    const policy = this.policyFor(ctx, req);
    if (policy === null || policy.kind === 'public') return true;
    const extracted = extractKeyCandidates(req.headers, req.url);
    const candidates = extracted.length === 0 ? [] : present(extracted);
    if (candidates.length > 0) this.noteQueryKeys(req, candidates);
    if (policy.kind === 'admin') return this.admin(req, candidates);
    return this.gateway(req, policy, candidates);
  }

  private policyFor(ctx: ExecutionContext, req: Req): AuthPolicy | null {
    const declared = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [ctx.getHandler(), ctx.getClass()]);
    if (declared) return declared;
    const route = req.routeOptions?.url ?? req.url.split('?')[0];
    let p = this.byRoute.get(route);
    if (p === undefined) {
      p = pathPolicy(route);
      if (this.byRoute.size < 1000) this.byRoute.set(route, p);
    }
    return p;
  }

  private noteQueryKeys(req: Req, candidates: KeyCandidate[]): void {
    for (const c of candidates) {
      if (!isQuerySource(c.source)) continue;
      this.metrics.deprecatedQueryKey.inc({ source: c.source });
      const now = Date.now();
      if (now - this.lastQueryWarn > 60_000) {
        this.lastQueryWarn = now;
        this.logger.warn({ request_id: req.id, source: c.source }, 'API key sent in the query string: deprecated transport — send it in a header; the value is redacted from logs');
      }
    }
  }

  // ---- admin routes ----

  private admin(req: Req, candidates: Presented[]): boolean {
    const adminKey = configuredAdminKey();
    if (adminKey === null) {
      this.count('error', 'admin_key_not_configured', true);
      this.logger.error({ request_id: req.id }, 'an admin route was called but ATHENA_KEY_12 is not set: admin routes answer 500 until it is');
      throw AuthErrors.adminKeyNotConfigured();
    }
    const match = this.adminMatch(adminKey, candidates);
    const presented = match ?? candidates[0] ?? null;
    this.writeLog({ req, client: clientOf(req), enforced: true, required: 'admin', candidate: presented }, {
      credential: match ? 'admin_key' : candidates.length > 0 ? 'api_key' : 'none',
      authenticated: match !== null, authorized: match !== null,
      outcome: match ? 'allowed' : 'denied', reason: match ? 'admin_key' : 'invalid_admin_key',
    });
    if (!match) {
      this.count('denied', 'invalid_admin_key', true);
      throw AuthErrors.invalidAdminKey();
    }
    this.count('allowed', 'admin_key', true);
    setAuthContext(req, ADMIN_CONTEXT);
    return true;
  }

  /** The candidate equal to the admin key (digests compared in constant time; every candidate is compared). */
  private adminMatch(adminKey: string, candidates: Presented[]): Presented | null {
    const want = adminDigest(adminKey);
    let found: Presented | null = null;
    for (const c of candidates) if (timingSafeEqual(c.digest, want) && !found) found = c;
    return found;
  }

  // ---- gateway routes ----

  private gateway(req: Req, policy: AuthPolicy, candidates: Presented[]): boolean | Promise<boolean> {
    const required = policy.kind === 'right' ? policy.right : policy.kind === 'table' ? requiredTableRight(policy.action, tableOf(req, policy.from)) : '*';
    const adminKey = candidates.length > 0 ? configuredAdminKey() : null;
    const adminHit = adminKey !== null ? this.adminMatch(adminKey, candidates) : null;
    const client = clientOf(req);
    if (adminHit) {
      this.writeLog({ req, client, enforced: true, required, candidate: adminHit }, {
        credential: 'admin_key', authenticated: true, authorized: true, outcome: 'allowed', reason: 'admin_key',
      });
      this.count('allowed', 'admin_key', true);
      setAuthContext(req, ADMIN_CONTEXT);
      return true;
    }
    // The presented gateway key: the first candidate shaped like one, else the first candidate.
    const candidate = candidates.find((c) => c.value.startsWith('ath_')) ?? candidates[0] ?? null;
    let enforced: boolean | Promise<boolean>;
    try {
      enforced = this.enforcement.isEnforced(client);
    } catch (e) {
      return this.policyDown(req, required, candidate, e);
    }
    if (typeof enforced === 'boolean') return this.withEnforcement(req, client, enforced, required, candidate);
    return enforced.then(
      (on) => this.withEnforcement(req, client, on, required, candidate),
      (e) => this.policyDown(req, required, candidate, e),
    );
  }

  private policyDown(req: Req, required: string, candidate: Presented | null, e: unknown): boolean | Promise<boolean> {
    this.metrics.storeErrors.inc({ operation: 'enforcement' });
    if (this.config.gateway.api_key_fail_mode === 'fail_open') {
      this.failOpen('enforcement lookup', e);
      return this.withEnforcement(req, clientOf(req), false, required, candidate, true);
    }
    this.count('error', 'api_key_policy_unavailable', true);
    this.logger.error({ request_id: req.id, err: (e as Error).message }, 'API key policy unavailable (fail_closed → 503)');
    throw AuthErrors.policyUnavailable();
  }

  private failOpen(what: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastFailOpenWarn > 10_000) {
      this.lastFailOpenWarn = now;
      this.logger.warn({ during: what, err: (e as Error).message }, 'auth store unavailable; gateway.api_key_fail_mode=fail_open lets requests through without key enforcement');
    }
  }

  private withEnforcement(req: Req, client: string | null, enforced: boolean, required: string, candidate: Presented | null, storeDown = false): boolean | Promise<boolean> {
    const a: Attempt = { req, client, enforced, required, candidate, parsed: null };
    if (!candidate) {
      if (storeDown) {
        this.count('fail_open', 'api_key_policy_unavailable', false);
        return true;
      }
      if (!enforced) return true; // no attempt, nothing to log
      return this.deny(a, 'api_key_required', AuthErrors.apiKeyRequired(), false);
    }
    const parsed = parseApiKey(candidate.value);
    a.parsed = parsed;
    if (!parsed) return this.deny(a, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    if (storeDown) {
      this.count('fail_open', 'api_key_validation_unavailable', false);
      return true;
    }
    let entry: KeyEntry | Promise<KeyEntry>;
    try {
      entry = this.keys.get(parsed.publicId);
    } catch (e) {
      return this.keyStoreDown(a, e);
    }
    if (!(entry instanceof Promise)) return this.decide(a, entry, parsed.secret);
    return entry.then((en) => this.decide(a, en, parsed.secret), (e) => this.keyStoreDown(a, e));
  }

  private keyStoreDown(a: Attempt, e: unknown): boolean {
    this.metrics.storeErrors.inc({ operation: 'key_lookup' });
    if (this.config.gateway.api_key_fail_mode === 'fail_open') {
      this.failOpen('key lookup', e);
      this.count('fail_open', 'api_key_validation_unavailable', a.enforced);
      return true;
    }
    if (!a.enforced) {
      // Not enforced: the request proceeds anonymously; the failed check is counted.
      this.count('allowed', 'api_key_validation_unavailable', false);
      return true;
    }
    this.count('error', 'api_key_validation_unavailable', true);
    this.logger.error({ request_id: a.req.id, err: (e as Error).message }, 'API key validation unavailable (fail_closed → 503)');
    throw AuthErrors.validationUnavailable();
  }

  private decide(a: Attempt, entry: KeyEntry, secret: string): boolean {
    if (entry === NO_KEY) return this.deny(a, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    const key = entry as CachedKey;
    const digest = a.candidate!.digest;
    const known = key.verifiedDigest !== null && timingSafeEqual(key.verifiedDigest, digest);
    if (!known) {
      if (!verifySecret(key.salt, secret, key.hash)) return this.deny(a, 'invalid_api_key', AuthErrors.invalidApiKey(), false, key);
      key.verifiedDigest = digest;
    }
    if (!key.isActive) return this.deny(a, 'inactive_api_key', AuthErrors.inactiveApiKey(), false, key);
    if (key.expiresAtMs !== null && key.expiresAtMs <= Date.now()) return this.deny(a, 'expired_api_key', AuthErrors.expiredApiKey(), false, key);
    // Authenticated from here on.
    if (key.clientKey !== null && key.clientKey !== (a.client ?? '').toLowerCase()) {
      return this.deny(a, 'api_key_client_mismatch', AuthErrors.clientMismatch(key.clientName!), true, key);
    }
    if (!key.matcher.allows(a.required!)) return this.deny(a, 'insufficient_api_key_rights', AuthErrors.insufficientRights(a.required!), true, key);
    this.log.touch(key.internalId);
    this.writeLog(a, { credential: 'api_key', authenticated: true, authorized: true, outcome: 'allowed', reason: 'ok' }, key);
    this.count('allowed', 'ok', a.enforced);
    setAuthContext(a.req, { kind: 'api_key', apiKeyId: key.id, publicId: key.publicId, rights: key.rights, scope: key.scope });
    return true;
  }

  /** Rejects when enforced; otherwise logs the failed check and lets the request through. */
  private deny(a: Attempt, reason: string, err: AthenaError, authenticated: boolean, key?: CachedKey): boolean {
    this.writeLog(a, {
      credential: a.candidate ? 'api_key' : 'none', authenticated, authorized: false,
      outcome: a.enforced ? 'denied' : 'allowed', reason,
    }, key);
    this.count(a.enforced ? 'denied' : 'allowed', reason, a.enforced);
    if (a.enforced) throw err;
    if (authenticated && key) {
      // Not enforced, the key is genuine: keep its identity for downstream (cache scope, logs).
      this.log.touch(key.internalId);
      setAuthContext(a.req, { kind: 'api_key', apiKeyId: key.id, publicId: key.publicId, rights: key.rights, scope: key.scope });
    }
    return true;
  }

  private count(outcome: string, reason: string, enforced: boolean): void {
    this.metrics.countOutcome(outcome, reason, enforced);
  }

  private writeLog(a: Attempt, r: Pick<AuthLogRow, 'credential' | 'authenticated' | 'authorized' | 'outcome' | 'reason'>, key?: CachedKey): void {
    const req = a.req;
    const url = redactUrl(req.url);
    const q = url.indexOf('?');
    const c = a.candidate;
    const parsed = c && r.credential === 'api_key' ? (a.parsed !== undefined && a.parsed !== null ? a.parsed : parseApiKey(c.value)) : null;
    this.log.record({
      created_at: Date.now(),
      request_id: req.id,
      api_key_id: key?.id ?? null,
      presented_public_id: parsed?.publicId ?? null,
      // Never the secret, never the stored hash: a 12-hex tag of what was presented (admin key: nothing).
      presented_hash_prefix: c && r.credential === 'api_key' ? c.digest.toString('hex', 0, 6) : null,
      key_source: c?.source ?? null,
      credential: r.credential,
      client_name: a.client,
      method: req.method,
      path: q === -1 ? url : url.slice(0, q),
      ipv4: req.ip ?? null,
      user_agent: headerOf(req, 'user-agent'),
      enforced: a.enforced,
      authenticated: r.authenticated,
      authorized: r.authorized,
      required_rights: a.required ? [a.required] : null,
      granted_rights: key ? [...key.rights] : r.credential === 'admin_key' ? ['*'] : null,
      outcome: r.outcome,
      reason: r.reason,
    });
  }
}

function headerOf(req: Req, name: string): string | null {
  const v = req.headers[name];
  const s = Array.isArray(v) ? v[0] : v;
  return s ? s.slice(0, 512) : null;
}

function clientOf(req: Req): string | null {
  const v = headerOf(req, 'x-athena-client');
  const t = v?.trim();
  return t ? t : null;
}

function tableOf(req: Req, from: 'body' | 'query'): unknown {
  const src = (from === 'body' ? req.body : req.query) as Record<string, unknown> | null | undefined;
  if (!src || typeof src !== 'object' || Array.isArray(src)) return undefined;
  if (from === 'query') {
    const v = src.view;
    return Array.isArray(v) ? v[0] : v;
  }
  return src.table_name ?? src.view_name;
}
