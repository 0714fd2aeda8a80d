/**
 * Who is calling, as established by the auth guard (libs/auth) before any interceptor or handler runs.
 * Shared here so other capabilities (the cache key, request logs) can read it without reaching into libs/auth.
 *
 * Contract:
 * - the auth guard calls `setAuthContext(req, ctx)` once per request on every route it protects;
 * - readers call `authContext(req)`, which returns ANONYMOUS when no guard ran (e.g. enforcement off, no key);
 * - `scope` is a short stable string that identifies what the caller may see: two callers with the same scope
 *   may share cached answers, two callers with different scopes never do.
 */
export interface AuthContext {
  kind: 'anonymous' | 'admin' | 'api_key';
  /** UUID `api_keys_id` of the verified key (kind = api_key). */
  apiKeyId?: string;
  /** Public id of the verified key (kind = api_key); never the secret. */
  publicId?: string;
  /** Rights granted to the key (kind = api_key); `['*']` for admin; `[]` for anonymous. */
  rights: readonly string[];
  /** Cache-sharing scope: 'anon', 'admin', or 'k:<digest of the sorted rights and client binding>'. */
  scope: string;
}

export const ANONYMOUS: AuthContext = Object.freeze({
  kind: 'anonymous',
  rights: Object.freeze([]) as readonly string[],
  scope: 'anon',
});

const AUTH = Symbol.for('athena.auth');

interface Carrier {
  [AUTH]?: AuthContext;
}

export function setAuthContext(req: object, ctx: AuthContext): void {
  (req as Carrier)[AUTH] = ctx;
}

export function authContext(req: object): AuthContext {
  return (req as Carrier)[AUTH] ?? ANONYMOUS;
}
