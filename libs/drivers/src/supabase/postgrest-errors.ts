import { AthenaError } from '@athena/common';
import { mapPgError } from '../postgres/pg-errors';
import { DriversErrors } from '../errors';

/** The error body PostgREST answers with (`{code, message, details, hint}`), as supabase-js hands it back. */
export interface PostgrestErrorLike {
  code?: string | null;
  message?: string | null;
  details?: string | null;
  hint?: string | null;
}

/** Seconds a caller is told to wait after a transient Supabase failure. */
export const SUPABASE_RETRY_AFTER_S = 5;

/** True for failures that say the project is degraded (they count for the circuit breaker). */
export function isTransientStatus(status: number): boolean {
  return status === 0 || status >= 500;
}

/**
 * Maps a supabase-js response error (HTTP status + PostgREST body) to a stable Athena error.
 * - network failure / timeout (status 0) and every 5xx → 503 `backend_unavailable` + Retry-After;
 * - PostgREST's own codes: PGRST205 (table not in the schema cache) → 404 `unknown_table`, PGRST204 (column not in
 *   the schema cache) → 400 `unknown_column`, PGRST100 (unparsable query) → 400 `invalid_query`,
 *   PGRST301/302/300 (JWT / key problems) and HTTP 401 → 502 `backend_auth_failed`;
 * - PostgreSQL SQLSTATEs (23505 → 409 `conflict`, 42P01 → 404, 42703 → 400, 42501 → 403, …) exactly as the
 *   PostgreSQL adapter maps them, so one request body fails the same way on both backends;
 * - any other 4xx → 400 `backend_rejected` with PostgREST's message (it is about the caller's request).
 * Messages never include `details` of network failures (they hold stacks).
 */
export function mapPostgrestError(status: number, err: PostgrestErrorLike | null, clientName: string): AthenaError {
  const code = err?.code ?? '';
  const msg = err?.message ?? '';
  const sqlstate = /^[0-9A-Z]{5}$/.test(code) && !code.startsWith('PGRST');
  if (status === 0) {
    // Egress refusals (custom_supabase's fetch): not transient, and clearer than "cannot be reached".
    if (msg.startsWith('EgressRedirectError:')) {
      return DriversErrors.backendRedirectRefused(
        'The Supabase project answered a redirect',
        `The Supabase project behind client "${clientName}" answered with a redirect; the gateway never follows redirects (the key would go to another host). Send the project's final URL`,
      );
    }
    if ((err?.details ?? '').includes('(EATHENABLOCKED)')) {
      return DriversErrors.customSupabaseNotAllowed(
        'custom_supabase is not allowed',
        `The Supabase project behind client "${clientName}" is at a private, loopback or link-local address`,
      );
    }
  }
  if (isTransientStatus(status) && !sqlstate) {
    return DriversErrors.backendUnavailable(
      `Backend for client "${clientName}" is unavailable`,
      status === 0
        ? `The Supabase project behind client "${clientName}" cannot be reached (${msg.split('\n')[0] || 'network error'}); retry later`
        : `The Supabase project behind client "${clientName}" answered HTTP ${status}; retry later`,
      undefined,
      { 'Retry-After': String(SUPABASE_RETRY_AFTER_S) },
    );
  }
  switch (code) {
    case 'PGRST205':
      return DriversErrors.unknownTable(
        'Unknown table',
        `${msg || 'The table does not exist'}${err?.hint ? ` (${err.hint})` : ''}`,
      );
    case 'PGRST204':
      return DriversErrors.unknownColumn('Unknown column', msg || 'A column does not exist');
    case 'PGRST100':
    case 'PGRST101':
    case 'PGRST102':
    case 'PGRST103':
    case 'PGRST118':
    case 'PGRST120':
      return DriversErrors.invalidQuery(
        'Supabase rejected the request',
        msg || 'PostgREST could not parse the request',
      );
    case 'PGRST116':
      return DriversErrors.notAcceptable('Unexpected number of rows', msg);
    case 'PGRST300':
    case 'PGRST301':
    case 'PGRST302':
    case 'PGRST303':
      return authFailed(clientName);
    default:
      break;
  }
  if (status === 401) return authFailed(clientName);
  if (sqlstate) {
    // A PostgreSQL SQLSTATE passed through by PostgREST: same mapping (and wording) as the PostgreSQL adapter.
    return mapPgError({ code, message: msg, detail: err?.details ?? undefined }, clientName, true);
  }
  if (status === 403) {
    return DriversErrors.backendPermissionDenied(
      'Permission denied by Supabase',
      msg || `The key of client "${clientName}" may not do this (row-level security?)`,
    );
  }
  if (status === 404) return DriversErrors.unknownTable('Unknown table', msg || 'The table does not exist');
  if (status === 409) return DriversErrors.conflict('Conflict', msg || 'The row conflicts with an existing row');
  return DriversErrors.backendRejected('Supabase rejected the request', msg || `HTTP ${status}`);
}

function authFailed(clientName: string): AthenaError {
  return DriversErrors.backendAuthFailed(
    'Supabase rejected the client key',
    `The Supabase project behind client "${clientName}" refused its key (expired, revoked or for another project); fix the key in the client configuration`,
  );
}

/** A thrown fetch failure in the shape postgrest-js reports it (`Name: message`, the cause and its code in details). */
export function fetchFailure(err: unknown): PostgrestErrorLike {
  const e = err as { name?: string; message?: string; cause?: { name?: string; message?: string; code?: string } };
  const c = e?.cause;
  return {
    message: `${e?.name ?? 'FetchError'}: ${e?.message ?? String(err)}`,
    details: c ? `Caused by: ${c.name ?? 'Error'}: ${c.message ?? ''}${c.code ? ` (${c.code})` : ''}` : '',
  };
}
