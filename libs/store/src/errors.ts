import { defineErrors } from '@athena/common';

/** The store library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const StoreErrors = defineErrors('store', {
  duplicatePublicId: {
    code: 'duplicate_public_id',
    status: 409,
    meaning: 'Internal: a generated key collided with an existing public id (retried)',
  },
  duplicateApiKeyName: { code: 'duplicate_api_key_name', status: 409, meaning: 'An API key with this name exists' },
  duplicateRight: { code: 'duplicate_right', status: 409, meaning: 'A right with this name exists' },
  unknownRights: {
    code: 'unknown_rights',
    status: 400,
    meaning: 'Some rights granted do not exist; create them first',
  },
  controlPlaneUnavailable: {
    code: 'control_plane_unavailable',
    status: 503,
    meaning: 'The control-plane database cannot be reached; retry after Retry-After',
    retryAfter: 5,
  },
  duplicateClient: {
    code: 'duplicate_client',
    status: 409,
    meaning:
      'A client with this name exists (names compare case-insensitively, across config.yaml and the catalog) or is reserved',
  },
});
