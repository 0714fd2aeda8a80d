import { AthenaError, isConnectionLoss, isPoolExhausted } from '@athena/common';
import { DriversErrors } from '../errors';

interface PgLikeError {
  code?: string;
  message?: string;
  detail?: string;
  constraint?: string;
  column?: string;
}

/**
 * Maps a PostgreSQL error to a stable Athena error. Messages name the problem without leaking
 * server internals; constraint details (which are about the caller's own data) are passed through.
 * `exposeMessage` is set for raw SQL, where the caller wrote the statement and needs the server's words.
 */
export function mapPgError(err: unknown, clientName: string, exposeMessage = false): AthenaError {
  if (err instanceof AthenaError) return err;
  const e = (err ?? {}) as PgLikeError;
  const detail = (fallback: string) =>
    (exposeMessage && e.message ? e.message : fallback) + (e.detail ? ` (${e.detail})` : '');
  if (isPoolExhausted(err)) return poolExhausted(clientName);
  if (isConnectionLoss(err)) {
    return DriversErrors.backendUnavailable(
      `Backend for client "${clientName}" is unavailable`,
      `The database behind client "${clientName}" cannot be reached right now; retry later`,
    );
  }
  switch (e.code) {
    case '23505':
      return DriversErrors.conflict(
        'Unique constraint violated',
        detail(`A row with the same unique key already exists${e.constraint ? ` (constraint ${e.constraint})` : ''}`),
      );
    case '23503':
      return DriversErrors.foreignKeyViolation(
        'Foreign key constraint violated',
        detail(
          `The row references a missing row or is still referenced${e.constraint ? ` (constraint ${e.constraint})` : ''}`,
        ),
      );
    case '23502':
      return DriversErrors.notNullViolation(
        'A required column is null',
        detail(`Column "${e.column ?? '?'}" does not accept null; provide a value`),
      );
    case '23514':
      return DriversErrors.checkViolation(
        'Check constraint violated',
        detail(`A value violates constraint ${e.constraint ?? '?'}`),
      );
    case '22P02':
    case '22007':
    case '22008':
    case '22003':
    case '22023':
    case '22001':
    case '22004':
    case '2202E':
    case '22P05':
    case '42804':
    case '22021':
    case '22P04':
      return DriversErrors.invalidValue(
        'A value does not fit its column type',
        detail('A value in the request cannot be converted to the column type; check types and formats'),
      );
    case '22025':
      return DriversErrors.invalidLikePattern(
        'Invalid LIKE pattern',
        detail(
          'A LIKE/ILIKE pattern ends with, or misuses, the escape character \\; escape a literal backslash as \\\\',
        ),
      );
    case '54000':
    case '54001':
    case '54011':
    case '54023':
      return DriversErrors.limitExceeded(
        'The request exceeds a database limit',
        detail(
          'A value or the statement exceeds a database limit (e.g. arrays nested deeper than 6 dimensions, too many columns or arguments)',
        ),
      );
    case '42P01':
      return DriversErrors.unknownTable('Unknown table', detail('The table does not exist'));
    case '42703':
      return DriversErrors.unknownColumn('Unknown column', detail('A column does not exist'));
    case '42601':
      return DriversErrors.sqlSyntaxError('SQL syntax error', detail('The statement has a syntax error'));
    case '42883':
    case '42725':
    case '42P18':
    case '42P08':
      return DriversErrors.invalidQuery(
        'The statement cannot be planned',
        detail('An operator or function does not apply to these types'),
      );
    case '42501':
      return DriversErrors.backendPermissionDenied(
        'Permission denied by the database',
        detail('The database role of this client lacks a privilege for this statement'),
      );
    case '25006':
      return DriversErrors.readOnly('The client is read-only', detail('This client only accepts read-only statements'));
    case '57014':
      return DriversErrors.queryTimeout(
        'The statement timed out',
        detail('The statement exceeded gateway.pool.statement_timeout_ms; narrow the query or add an index'),
      );
    case '40001':
    case '40P01':
      return DriversErrors.backendConflictRetry(
        'Transaction conflict, retry',
        detail('The database aborted the statement because of a concurrent transaction; retry'),
      );
    default:
      if (exposeMessage && e.code && /^(22|42)/.test(e.code)) {
        return DriversErrors.invalidQuery('The statement was rejected', detail('The database rejected the statement'));
      }
      return DriversErrors.backendError(
        'The database failed to execute the statement',
        `The database returned an error${e.code ? ` (SQLSTATE ${e.code})` : ''}; see the gateway logs with the request id`,
      );
  }
}

/** Every pooled connection of the client is busy and none freed up within gateway.pool.connection_timeout_ms. */
export function poolExhausted(clientName: string): AthenaError {
  return DriversErrors.poolExhausted(
    `All connections of client "${clientName}" are busy`,
    `Every pooled connection of client "${clientName}" stayed busy for gateway.pool.connection_timeout_ms; the database is up — retry shortly or send fewer concurrent long statements`,
  );
}

/** Describes a failure to establish a connection (the server refused or never answered): the backend is unavailable. */
export function connectFailure(err: unknown, clientName: string, retryAfterSeconds: number): AthenaError {
  const code = (err as { code?: unknown } | null)?.code;
  const why =
    code === '28P01' || code === '28000'
      ? 'refuses the configured credentials'
      : code === '53300'
        ? 'has no connection slot left'
        : code === '55000' || code === '57P03' || code === '3D000'
          ? 'does not accept connections to this database right now'
          : 'cannot be reached';
  return DriversErrors.backendUnavailable(
    `Backend for client "${clientName}" is unavailable`,
    `The database behind client "${clientName}" ${why}${typeof code === 'string' ? ` (SQLSTATE ${code})` : ''}; retry later`,
    undefined,
    { 'Retry-After': String(retryAfterSeconds) },
  );
}
