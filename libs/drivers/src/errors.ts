import { defineErrors } from '@athena/common';

/** The drivers library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const DriversErrors = defineErrors('drivers', {
  directConnectionNotAllowed: {
    code: 'direct_connection_not_allowed',
    status: 403,
    meaning: 'Direct connections are disabled on this gateway',
  },
  directConnectionHostNotAllowed: {
    code: 'direct_connection_host_not_allowed',
    status: 403,
    meaning: 'The direct-connection host is not on gateway.direct_connections.allowed_hosts',
  },
  directConnectionLimitReached: {
    code: 'direct_connection_limit_reached',
    status: 503,
    meaning: 'The gateway holds its maximum number of direct-connection pools; retry later',
  },
  directConnectionFailed: {
    code: 'direct_connection_failed',
    status: 502,
    meaning: 'The first connection to the direct-connection URI failed',
  },
  invalidDirectConnectionUri: {
    code: 'invalid_direct_connection_uri',
    status: 400,
    meaning: 'The direct-connection URI does not parse or is not postgres(ql)://',
  },
  backendUnavailable: {
    code: 'backend_unavailable',
    status: 503,
    meaning:
      'The backend cannot be reached (or the gateway is failing fast after recent failures); retry after Retry-After',
    retryAfter: 5,
  },
  conflict: { code: 'conflict', status: 409, meaning: 'A unique constraint was violated' },
  foreignKeyViolation: { code: 'foreign_key_violation', status: 409, meaning: 'A foreign-key constraint was violated' },
  notNullViolation: { code: 'not_null_violation', status: 400, meaning: 'A NOT NULL column got no value' },
  checkViolation: { code: 'check_violation', status: 400, meaning: 'A CHECK constraint rejected the row' },
  invalidValue: { code: 'invalid_value', status: 400, meaning: 'A value does not fit its column type' },
  unknownTable: { code: 'unknown_table', status: 404, meaning: 'The table does not exist in the client’s schema' },
  unknownColumn: {
    code: 'unknown_column',
    status: 400,
    meaning: 'A column does not exist on the table (the answer lists the available ones)',
  },
  sqlSyntaxError: { code: 'sql_syntax_error', status: 400, meaning: 'The database rejected the SQL text as malformed' },
  invalidQuery: {
    code: 'invalid_query',
    status: 400,
    meaning: 'The database rejected the statement (message from the database)',
  },
  backendPermissionDenied: {
    code: 'backend_permission_denied',
    status: 403,
    meaning: 'The database role of the client may not do this',
  },
  readOnly: {
    code: 'read_only',
    status: 403,
    meaning: 'The client is read-only, or the statement would write on a read-only connection',
  },
  queryTimeout: {
    code: 'query_timeout',
    status: 504,
    meaning: 'The statement exceeded its timeout; it may still have run',
  },
  backendConflictRetry: {
    code: 'backend_conflict_retry',
    status: 503,
    meaning: 'The database aborted the statement for a concurrent transaction; retry',
    retryAfter: 1,
  },
  backendError: {
    code: 'backend_error',
    status: 500,
    meaning: 'The backend failed in an unexpected way (see the request id in the logs)',
  },
  invalidPageState: {
    code: 'invalid_page_state',
    status: 400,
    meaning: 'page_state is not a token a previous fetch returned',
  },
  cqlSyntaxError: { code: 'cql_syntax_error', status: 400, meaning: 'The cluster rejected the CQL text as malformed' },
  invalidIdentifier: {
    code: 'invalid_identifier',
    status: 400,
    meaning: 'A table, schema or column name does not match [A-Za-z_][A-Za-z0-9_]{0,62}',
  },
  customSupabaseNotAllowed: {
    code: 'custom_supabase_not_allowed',
    status: 403,
    meaning: 'custom_supabase is disabled, or the URL’s scheme/host is not allowed',
  },
  missingSupabaseHeaders: {
    code: 'missing_supabase_headers',
    status: 400,
    meaning: 'custom_supabase needs both x-supabase-url and x-supabase-key',
  },
  invalidSupabaseUrl: {
    code: 'invalid_supabase_url',
    status: 400,
    meaning: 'x-supabase-url is not an absolute https URL without credentials',
  },
  backendRedirectRefused: {
    code: 'backend_redirect_refused',
    status: 502,
    meaning: 'The Supabase project answered with a redirect, which the gateway does not follow',
  },
  notAcceptable: {
    code: 'not_acceptable',
    status: 406,
    meaning: 'The Supabase project cannot produce the requested representation',
  },
  backendRejected: {
    code: 'backend_rejected',
    status: 400,
    meaning: 'The Supabase project rejected the request (message from PostgREST)',
  },
  backendAuthFailed: {
    code: 'backend_auth_failed',
    status: 502,
    meaning: 'The Supabase project refused the client’s key',
  },
  unsupportedByBackend: {
    code: 'unsupported_by_backend',
    status: 422,
    meaning: 'The client’s backend cannot serve this request (e.g. a CQL filter needing a full scan)',
  },
  invalidLikePattern: {
    code: 'invalid_like_pattern',
    status: 400,
    meaning: 'A LIKE/ILIKE pattern ends with an unescaped backslash',
  },
  limitExceeded: {
    code: 'limit_exceeded',
    status: 400,
    meaning: 'A value exceeds a PostgreSQL limit (e.g. arrays deeper than 6 dimensions)',
  },
  poolExhausted: {
    code: 'pool_exhausted',
    status: 503,
    meaning: 'Every pooled connection of the client is busy (back-pressure, not an outage); retry after Retry-After',
    retryAfter: 1,
  },
  keyspaceMissing: {
    code: 'keyspace_missing',
    status: 503,
    meaning:
      'The ScyllaDB/Cassandra client’s keyspace does not exist; create it (statements naming a keyspace still run)',
    retryAfter: 5,
  },
});
