import { AdminClientsErrors } from './errors';

const PG_SCHEMES = new Set(['postgres:', 'postgresql:']);
/** Environment variable names the catalog may point at. */
export const ENV_VAR_RE = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

/**
 * A PostgreSQL connection URI, or 400 `invalid_pg_uri` naming `field`: it must parse as a URL with the
 * postgres:// or postgresql:// scheme and a host. The value is never echoed (it may hold a password).
 */
export function requirePgUri(field: string, value: string): string {
  const v = value.trim();
  let u: URL;
  try {
    u = new URL(v);
  } catch {
    throw AdminClientsErrors.invalidPgUri(
      `Invalid ${field}`,
      `${field} is not a valid URI; expected postgres://user:password@host:5432/database`,
      { field },
    );
  }
  if (!PG_SCHEMES.has(u.protocol)) {
    throw AdminClientsErrors.invalidPgUri(
      `Invalid ${field}`,
      `${field} must use the postgres:// or postgresql:// scheme (got ${u.protocol.replace(/:$/, '') || 'none'}://)`,
      { field },
    );
  }
  if (u.hostname === '') throw AdminClientsErrors.invalidPgUri(`Invalid ${field}`, `${field} has no host`, { field });
  return v;
}

/** `scheme://user:secret@host/db?password=x` → `scheme://user:***@host/db?password=***`. Safe on non-URIs. */
export function redactUri(uri: string | null | undefined): string | null {
  if (uri === null || uri === undefined) return null;
  try {
    const u = new URL(uri);
    if (u.password) u.password = '***';
    for (const k of [...u.searchParams.keys()]) if (/pass|secret|token|key/i.test(k)) u.searchParams.set(k, '***');
    return u.toString();
  } catch {
    return uri.replace(/(\/\/[^:/?#\s@]+:)[^@/?#\s]+@/, '$1***@');
  }
}

/**
 * Exactly one URI source, or 400 `invalid_uri_source`. Returns the source named by the request.
 */
export function requireOneUriSource(
  pgUri: string | null | undefined,
  envVar: string | null | undefined,
): 'pg_uri' | 'pg_uri_env_var' {
  const hasUri = typeof pgUri === 'string' && pgUri.trim() !== '';
  const hasEnv = typeof envVar === 'string' && envVar.trim() !== '';
  if (hasUri === hasEnv) {
    throw AdminClientsErrors.invalidUriSource(
      hasUri ? 'Both pg_uri and pg_uri_env_var given' : 'No connection given',
      hasUri
        ? 'Send either pg_uri or pg_uri_env_var, not both'
        : 'Send pg_uri (a postgres:// URI) or pg_uri_env_var (the name of an environment variable holding it)',
    );
  }
  return hasUri ? 'pg_uri' : 'pg_uri_env_var';
}
