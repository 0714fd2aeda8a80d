import { CanActivate, ExecutionContext, Inject, Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { createHash, hash, timingSafeEqual } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import { AthenaError, AuthContext, setAuthContext } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { redactUrl, ROOT_LOGGER } from '@athena/observability';
import type { AuthLogRow } from '@athena/store';
import { ParsedApiKey, parseApiKey, verifySecret } from './api-key-format';
import { AuthErrors } from './auth-errors';
import { AuthLogWriter } from './auth-log-writer';
import { AuthMetrics } from './auth-metrics';
import { AUTH_POLICY, AUTH_ROUTE_CONFIG, AuthPolicy, pathPolicy } from './auth.decorators';
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

/** One-shot SHA-256 (crypto.hash: no Hash object per call on the hot path). */
const ONE_SHOT = typeof hash === 'function'; // Node ≥ 20.12
function sha256(s: string): Buffer {
  return ONE_SHOT ? hash('sha256', s, 'buffer') : createHash('sha256').update(s).digest();
}

/** A candidate with the SHA-256 of its value, computed once: admin compare, verified-key memo, log tag. */
interface Presented extends KeyCandidate {
  digest: Buffer;
}

type Req = FastifyRequest;

/**
 * What authentication established before the body was read (stage 1); authorization (stage 2, the guard)
 * adds the right the route needs, which may depend on the body.
 */
interface AuthState {
  kind: 'admin' | 'key' | 'anonymous' | 'store_down';
  client: string | null;
  enforced: boolean;
  candidate: Presented | null;
  parsed: ParsedApiKey | null;
  key: CachedKey | null;
}

const STATE = Symbol.for('athena.authState');
interface Carrier {
  [STATE]?: AuthState;
}

/**
 * Authentication and authorization for every route, in two stages:
 * 1. `authenticate` — in a Fastify onRequest hook, i.e. BEFORE the body is parsed (an unauthenticated caller
 *    with a bad body gets 401, not 400, and its body is never read): admin key for admin routes; enforcement
 *    lookup, key parsing, verification (cached), active/expiry and client binding for gateway routes.
 * 2. `canActivate` (the one global guard) — the right the route needs (`@RequiresRight`, or derived from the
 *    table in the body/query) against the key's grants; sets the AuthContext.
 * The guard runs stage 1 itself when the hook did not (other adapters, direct calls). The fast path (cached
 * enforcement flag and key) is synchronous in both stages: no await, no I/O.
 */
@Injectable()
export class AuthGuard implements CanActivate, OnModuleInit {
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
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    // This instance's own pino logger (not Nest's process-wide static one).
    this.logger = root.child({ component: 'auth' });
  }

  /** Installs stage 1 as an onRequest hook (Fastify resolves route hooks at ready, so this covers every route). */
  onModuleInit(): void {
    const instance = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!instance || typeof instance.addHook !== 'function') return;
    instance.addHook('onRequest', (req, _reply, done) => {
      let out: AuthState | Promise<AuthState> | null;
      try {
        out = this.early(req);
      } catch (e) {
        done(e as Error);
        return;
      }
      if (out === null || !(out instanceof Promise)) {
        if (out) (req as Carrier)[STATE] = out;
        done();
        return;
      }
      out.then((s) => {
        (req as Carrier)[STATE] = s;
        done();
      }, (e: Error) => done(e));
    });
  }

  private early(req: Req): AuthState | Promise<AuthState> | null {
    const url = req.routeOptions?.url;
    if (url === undefined) return null; // no route matched: 404 follows
    const declared = (req.routeOptions.config as unknown as Record<string, unknown> | undefined)?.[AUTH_ROUTE_CONFIG] as AuthPolicy | undefined;
    const policy = declared ?? this.pathPolicyCached(url);
    if (policy === null || policy.kind === 'public') return null;
    return this.authenticate(req, policy);
  }

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<Req>();
    const policy = this.policyFor(ctx, req);
    if (policy === null || policy.kind === 'public') return true;
    const done = (req as Carrier)[STATE];
    // A body may name the client instead of X-Athena-Client (`db_name` on /query/sql). Stage 1 ran before the
    // body was read, for "no client": authenticate again for the client the request will really run on, so its
    // enforcement override and the key's client binding apply.
    const bodyClient = (done ? done.client : clientOf(req)) === null ? bodyClientOf(req) : null;
    if (done && bodyClient === null) return this.authorize(req, policy, done);
    const st = this.authenticate(req, policy, bodyClient ?? clientOf(req));
    if (st instanceof Promise) return st.then((s) => this.authorize(req, policy, s));
    return this.authorize(req, policy, st);
  }

  private policyFor(ctx: ExecutionContext, req: Req): AuthPolicy | null {
    const declared = this.reflector.getAllAndOverride<AuthPolicy | undefined>(AUTH_POLICY, [ctx.getHandler(), ctx.getClass()]);
    if (declared) return declared;
    return this.pathPolicyCached(req.routeOptions?.url ?? req.url.split('?')[0]);
  }

  private pathPolicyCached(route: string): AuthPolicy | null {
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

  // ---- stage 1: authentication (no body needed) ----

  private authenticate(req: Req, policy: AuthPolicy, client: string | null = clientOf(req)): AuthState | Promise<AuthState> {
    const extracted = extractKeyCandidates(req.headers, req.url);
    const candidates: Presented[] = extracted.length === 0 ? [] : extracted.map((c) => ({ source: c.source, value: c.value, digest: sha256(c.value) }));
    if (candidates.length > 0) this.noteQueryKeys(req, candidates);
    if (policy.kind === 'admin') return this.admin(req, client, candidates);
    const adminKey = candidates.length > 0 ? configuredAdminKey() : null;
    const adminHit = adminKey !== null ? this.adminMatch(adminKey, candidates) : null;
    if (adminHit) return { kind: 'admin', client, enforced: true, candidate: adminHit, parsed: null, key: null };
    // The presented gateway key: the first candidate shaped like one, else the first candidate.
    const candidate = candidates.find((c) => c.value.startsWith('ath_')) ?? candidates[0] ?? null;
    const known = policy.kind === 'right' ? policy.right : null;
    let enforced: boolean | Promise<boolean>;
    try {
      enforced = this.enforcement.isEnforced(client);
    } catch (e) {
      return this.policyDown(req, client, known, candidate, e);
    }
    if (typeof enforced === 'boolean') return this.withEnforcement(req, client, enforced, known, candidate);
    return enforced.then(
      (on) => this.withEnforcement(req, client, on, known, candidate),
      (e) => this.policyDown(req, client, known, candidate, e),
    );
  }

  private admin(req: Req, client: string | null, candidates: Presented[]): AuthState {
    const adminKey = configuredAdminKey();
    if (adminKey === null) {
      this.count('error', 'admin_key_not_configured', true);
      this.logger.error({ request_id: req.id }, 'an admin route was called but ATHENA_KEY_12 is not set: admin routes answer 500 until it is');
      throw AuthErrors.adminKeyNotConfigured();
    }
    const match = this.adminMatch(adminKey, candidates);
    const presented = match ?? candidates[0] ?? null;
    this.writeLog(req, { client, enforced: true, candidate: presented, parsed: null }, 'admin', {
      credential: match ? 'admin_key' : candidates.length > 0 ? 'api_key' : 'none',
      authenticated: match !== null, authorized: match !== null,
      outcome: match ? 'allowed' : 'denied', reason: match ? 'admin_key' : 'invalid_admin_key',
    });
    if (!match) {
      this.count('denied', 'invalid_admin_key', true);
      throw AuthErrors.invalidAdminKey();
    }
    this.count('allowed', 'admin_key', true);
    return { kind: 'admin', client, enforced: true, candidate: match, parsed: null, key: null };
  }

  /** The candidate equal to the admin key (digests compared in constant time; every candidate is compared). */
  private adminMatch(adminKey: string, candidates: Presented[]): Presented | null {
    const want = adminDigest(adminKey);
    let found: Presented | null = null;
    for (const c of candidates) if (timingSafeEqual(c.digest, want) && !found) found = c;
    return found;
  }

  private policyDown(req: Req, client: string | null, known: string | null, candidate: Presented | null, e: unknown): AuthState | Promise<AuthState> {
    this.metrics.storeErrors.inc({ operation: 'enforcement' });
    if (this.config.gateway.api_key_fail_mode === 'fail_open') {
      this.failOpen('enforcement lookup', e);
      this.count('fail_open', 'api_key_policy_unavailable', false);
      return { kind: 'store_down', client, enforced: false, candidate, parsed: null, key: null };
    }
    this.count('error', 'api_key_policy_unavailable', true);
    this.logger.error({ request_id: req.id, err: (e as Error).message, required: known }, 'API key policy unavailable (fail_closed → 503)');
    throw AuthErrors.policyUnavailable();
  }

  private failOpen(what: string, e: unknown): void {
    const now = Date.now();
    if (now - this.lastFailOpenWarn > 10_000) {
      this.lastFailOpenWarn = now;
      this.logger.warn({ during: what, err: (e as Error).message }, 'auth store unavailable; gateway.api_key_fail_mode=fail_open lets requests through without key enforcement');
    }
  }

  private withEnforcement(req: Req, client: string | null, enforced: boolean, known: string | null, candidate: Presented | null): AuthState | Promise<AuthState> {
    const st: AuthState = { kind: 'anonymous', client, enforced, candidate, parsed: null, key: null };
    if (!candidate) {
      if (!enforced) return st; // no attempt, nothing to log
      return this.reject(req, st, known, 'api_key_required', AuthErrors.apiKeyRequired(), false);
    }
    st.parsed = parseApiKey(candidate.value);
    if (!st.parsed) return this.reject(req, st, known, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    let entry: KeyEntry | Promise<KeyEntry>;
    try {
      entry = this.keys.get(st.parsed.publicId);
    } catch (e) {
      return this.keyStoreDown(req, st, e);
    }
    if (!(entry instanceof Promise)) return this.verify(req, st, known, entry);
    return entry.then((en) => this.verify(req, st, known, en), (e) => this.keyStoreDown(req, st, e));
  }

  private keyStoreDown(req: Req, st: AuthState, e: unknown): AuthState {
    this.metrics.storeErrors.inc({ operation: 'key_lookup' });
    if (this.config.gateway.api_key_fail_mode === 'fail_open') {
      this.failOpen('key lookup', e);
      this.count('fail_open', 'api_key_validation_unavailable', st.enforced);
      st.kind = 'store_down';
      return st;
    }
    if (!st.enforced) {
      // Not enforced: the request proceeds anonymously; the failed check is counted.
      this.count('allowed', 'api_key_validation_unavailable', false);
      return st;
    }
    this.count('error', 'api_key_validation_unavailable', true);
    this.logger.error({ request_id: req.id, err: (e as Error).message }, 'API key validation unavailable (fail_closed → 503)');
    throw AuthErrors.validationUnavailable();
  }

  private verify(req: Req, st: AuthState, known: string | null, entry: KeyEntry): AuthState {
    if (entry === NO_KEY) return this.reject(req, st, known, 'invalid_api_key', AuthErrors.invalidApiKey(), false);
    const key = entry as CachedKey;
    const digest = st.candidate!.digest;
    const seen = key.verifiedDigest !== null && timingSafeEqual(key.verifiedDigest, digest);
    if (!seen) {
      if (!verifySecret(key.salt, st.parsed!.secret, key.hash)) return this.reject(req, st, known, 'invalid_api_key', AuthErrors.invalidApiKey(), false, key);
      key.verifiedDigest = digest;
    }
    if (!key.isActive) return this.reject(req, st, known, 'inactive_api_key', AuthErrors.inactiveApiKey(), false, key);
    if (key.expiresAtMs !== null && key.expiresAtMs <= Date.now()) return this.reject(req, st, known, 'expired_api_key', AuthErrors.expiredApiKey(), false, key);
    if (key.clientKey !== null && key.clientKey !== (st.client ?? '').toLowerCase()) {
      return this.reject(req, st, known, 'api_key_client_mismatch', AuthErrors.clientMismatch(key.clientName!), true, key);
    }
    st.kind = 'key';
    st.key = key;
    return st;
  }

  /** A failed check: thrown when enforced; otherwise logged and the request proceeds (anonymously, or as the genuine key). */
  private reject(req: Req, st: AuthState, required: string | null, reason: string, err: AthenaError, authenticated: boolean, key?: CachedKey): AuthState {
    this.writeLog(req, st, required, {
      credential: st.candidate ? 'api_key' : 'none', authenticated, authorized: false,
      outcome: st.enforced ? 'denied' : 'allowed', reason,
    }, key);
    this.count(st.enforced ? 'denied' : 'allowed', reason, st.enforced);
    if (st.enforced) throw err;
    if (authenticated && key) {
      // Not enforced, the key is genuine (e.g. bound to another client): keep its identity downstream.
      this.log.touch(key.internalId);
      setAuthContext(req, keyContext(key));
    }
    st.kind = 'anonymous';
    st.key = null;
    return st;
  }

  // ---- stage 2: authorization (the route's right, possibly from the body) ----

  private authorize(req: Req, policy: AuthPolicy, st: AuthState): boolean {
    if (policy.kind === 'admin') {
      // Stage 1 may have run under a gateway policy (hook and decorator disagree): check the admin key now.
      if (st.kind !== 'admin') this.authenticate(req, policy);
      setAuthContext(req, ADMIN_CONTEXT);
      return true;
    }
    if (st.kind === 'anonymous' || st.kind === 'store_down') return true;
    const required = policy.kind === 'right' ? policy.right : policy.kind === 'table' ? requiredTableRight(policy.action, tableOf(req, policy.from)) : '*';
    if (st.kind === 'admin') {
      this.writeLog(req, st, required, { credential: 'admin_key', authenticated: true, authorized: true, outcome: 'allowed', reason: 'admin_key' });
      this.count('allowed', 'admin_key', true);
      setAuthContext(req, ADMIN_CONTEXT);
      return true;
    }
    const key = st.key!;
    this.log.touch(key.internalId);
    if (!key.matcher.allows(required)) {
      this.writeLog(req, st, required, { credential: 'api_key', authenticated: true, authorized: false, outcome: st.enforced ? 'denied' : 'allowed', reason: 'insufficient_api_key_rights' }, key);
      this.count(st.enforced ? 'denied' : 'allowed', 'insufficient_api_key_rights', st.enforced);
      if (st.enforced) throw AuthErrors.insufficientRights(required);
    } else {
      this.writeLog(req, st, required, { credential: 'api_key', authenticated: true, authorized: true, outcome: 'allowed', reason: 'ok' }, key);
      this.count('allowed', 'ok', st.enforced);
    }
    setAuthContext(req, keyContext(key));
    return true;
  }

  private count(outcome: string, reason: string, enforced: boolean): void {
    this.metrics.countOutcome(outcome, reason, enforced);
  }

  private writeLog(
    req: Req,
    st: Pick<AuthState, 'client' | 'enforced' | 'candidate' | 'parsed'>,
    required: string | null,
    r: Pick<AuthLogRow, 'credential' | 'authenticated' | 'authorized' | 'outcome' | 'reason'>,
    key?: CachedKey,
  ): void {
    const url = redactUrl(req.url);
    const q = url.indexOf('?');
    const c = st.candidate;
    const asKey = c !== null && r.credential === 'api_key';
    const parsed = asKey ? (st.parsed ?? parseApiKey(c.value)) : null;
    this.log.record({
      created_at: Date.now(),
      request_id: req.id,
      api_key_id: key?.id ?? null,
      presented_public_id: parsed?.publicId ?? null,
      // Never the secret, never the stored hash: a 12-hex tag of what was presented (admin key: nothing).
      presented_hash_prefix: asKey ? c.digest.toString('hex', 0, 6) : null,
      key_source: c?.source ?? null,
      credential: r.credential,
      client_name: st.client,
      method: req.method,
      path: q === -1 ? url : url.slice(0, q),
      ipv4: req.ip ?? null,
      user_agent: headerOf(req, 'user-agent'),
      enforced: st.enforced,
      authenticated: r.authenticated,
      authorized: r.authorized,
      required_rights: required ? [required] : null,
      granted_rights: key ? [...key.rights] : r.credential === 'admin_key' ? ['*'] : null,
      outcome: r.outcome,
      reason: r.reason,
    });
  }
}

function keyContext(key: CachedKey): AuthContext {
  return { kind: 'api_key', apiKeyId: key.id, publicId: key.publicId, rights: key.rights, scope: key.scope };
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

/** `db_name` of a JSON body (the client `/query/sql` runs on when X-Athena-Client is absent), else null. */
function bodyClientOf(req: Req): string | null {
  const b = req.body as Record<string, unknown> | null | undefined;
  if (!b || typeof b !== 'object' || Array.isArray(b)) return null;
  const v = b.db_name;
  const t = typeof v === 'string' ? v.trim() : '';
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
