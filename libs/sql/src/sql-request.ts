import { invalidClientName, isValidClientName } from '@athena/common';
import { normalizeSqlText } from '@athena/query';
import { SqlErrors } from './errors';

/** `driver` values of `POST /query/sql` (reference §4.1): `athena` is ScyllaDB/Cassandra; `postgres` is an alias. */
export type SqlDriver = 'postgresql' | 'athena' | 'supabase';
const DRIVERS: Record<string, SqlDriver> = {
  postgresql: 'postgresql',
  postgres: 'postgresql',
  athena: 'athena',
  supabase: 'supabase',
};
export const SQL_DRIVER_VALUES = ['postgresql', 'postgres', 'athena', 'supabase'] as const;

export interface SqlRequest {
  query: string;
  driver: SqlDriver;
  /** Logical database: names the client when no X-Athena-Client header is sent. */
  dbName: string | null;
}

/** Validates `{query, driver, db_name}` (pure). */
export function parseSqlRequest(body: unknown): SqlRequest {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw SqlErrors.invalidQueryPayload(
      'Invalid query payload',
      'Send a JSON object: {"query": "<SQL or CQL>", "driver": "postgresql|athena|supabase", "db_name": "<client>"}',
    );
  }
  const b = body as Record<string, unknown>;
  if (typeof b.query !== 'string') {
    throw SqlErrors.invalidQueryPayload('Invalid query payload', '"query" must be a string holding one statement');
  }
  const query = normalizeSqlText(b.query);
  const driverRaw = typeof b.driver === 'string' ? b.driver.trim().toLowerCase() : undefined;
  const driver = driverRaw !== undefined ? DRIVERS[driverRaw] : undefined;
  if (!driver) {
    throw SqlErrors.invalidDriver(
      'Invalid driver',
      `"driver" must be one of ${SQL_DRIVER_VALUES.join(', ')}${b.driver === undefined ? ' (it is missing)' : `, got ${JSON.stringify(b.driver).slice(0, 60)}`}`,
    );
  }
  let dbName: string | null = null;
  if (b.db_name !== undefined && b.db_name !== null) {
    if (typeof b.db_name !== 'string')
      throw SqlErrors.invalidQueryPayload('Invalid db_name', '"db_name" must be a string (a client name)');
    dbName = b.db_name.trim() || null;
    if (dbName !== null && !isValidClientName(dbName)) throw invalidClientName('invalid_client_name', 'db_name');
  }
  return { query, driver, dbName };
}
