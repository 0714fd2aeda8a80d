import { defineErrors } from '@athena/common';

/** The admin-clients library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const AdminClientsErrors = defineErrors('admin-clients', {
  clientNotFound: { code: 'client_not_found', status: 404, meaning: 'No client has this name' },
  duplicateClient: {
    code: 'duplicate_client',
    status: 409,
    meaning:
      'A client with this name exists (names compare case-insensitively, across config.yaml and the catalog) or is reserved',
  },
  unsupportedBackend: {
    code: 'unsupported_backend',
    status: 400,
    meaning: 'The operation needs a PostgreSQL client (e.g. editing the connection of a Scylla/Supabase client)',
  },
  configClient: {
    code: 'config_client',
    status: 409,
    meaning: 'The client is declared in config.yaml: change it there (only catalog clients can be deleted)',
  },
  clientStatisticsNotFound: {
    code: 'client_statistics_not_found',
    status: 404,
    meaning: 'No statistics exist for this client yet',
  },
  invalidPgUri: {
    code: 'invalid_pg_uri',
    status: 400,
    meaning: 'pg_uri does not parse or its scheme is not postgres:// / postgresql://',
  },
  invalidUriSource: {
    code: 'invalid_uri_source',
    status: 400,
    meaning: 'Send exactly one of pg_uri and pg_uri_env_var',
  },
  invalidProvisionTarget: {
    code: 'invalid_provision_target',
    status: 400,
    meaning: 'Send exactly one of uri and client_name',
  },
  provisionClientUnconfigured: {
    code: 'provision_client_unconfigured',
    status: 409,
    meaning:
      'POST /admin/provision names a client that has no connection URI (e.g. its environment variable is unset); set it or send uri',
  },
  provisionTargetUnavailable: {
    code: 'provision_target_unavailable',
    status: 503,
    meaning: 'The database to provision cannot be reached; retry after Retry-After',
    retryAfter: 5,
  },
  provisionFailed: {
    code: 'provision_failed',
    status: 500,
    meaning: 'The provisioning script failed on the target (the message names the statement)',
  },
});
