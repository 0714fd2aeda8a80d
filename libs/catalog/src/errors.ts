import { defineErrors } from '@athena/common';

/** The catalog library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const CatalogErrors = defineErrors('catalog', {
  missingClientHeader: {
    code: 'missing_client_header',
    status: 400,
    meaning: 'X-Athena-Client is missing; name the client (database) to run on',
  },
  invalidClient: {
    code: 'invalid_client',
    status: 404,
    meaning: 'The client name is malformed (400) or no client has this name (404)',
  },
  clientInactive: { code: 'client_inactive', status: 403, meaning: 'The client is deactivated' },
  clientFrozen: {
    code: 'client_frozen',
    status: 403,
    meaning: 'The client is frozen: routing to it is temporarily disabled',
  },
  clientUnconfigured: {
    code: 'client_unconfigured',
    status: 503,
    meaning: 'The client has no connection URI (e.g. its environment variable is unset)',
  },
});
