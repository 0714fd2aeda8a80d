import { defineErrors } from '@athena/common';

/** The api-keys library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const ApiKeysErrors = defineErrors('api-keys', {
  invalidId: {
    code: 'invalid_id',
    status: 400,
    meaning: 'A path id is not a UUID; use the id returned when the resource was created',
  },
  invalidExpiresAt: { code: 'invalid_expires_at', status: 400, meaning: 'expires_at is not an RFC 3339 timestamp' },
  expiresAtInPast: {
    code: 'expires_at_in_past',
    status: 400,
    meaning: 'expires_at is not in the future; omit it (or send null) for a key that never expires',
  },
  invalidName: { code: 'invalid_name', status: 400, meaning: 'name is blank' },
  invalidIsActive: { code: 'invalid_is_active', status: 400, meaning: 'is_active is not a boolean' },
  invalidRights: { code: 'invalid_rights', status: 400, meaning: 'rights is not a list of valid right names' },
  apiKeyNotFound: { code: 'api_key_not_found', status: 404, meaning: 'No API key has this id' },
  emptyUpdate: { code: 'empty_update', status: 400, meaning: 'The update names no field to change' },
  rightNotFound: { code: 'right_not_found', status: 404, meaning: 'No right has this id' },
  clientConfigNotFound: {
    code: 'client_config_not_found',
    status: 404,
    meaning: 'No per-client enforcement setting exists for this client',
  },
});
