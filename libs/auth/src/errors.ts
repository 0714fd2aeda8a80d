import { defineErrors } from '@athena/common';

/** The auth library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const AuthErrorCodes = defineErrors('auth', {
  apiKeyRequired: {
    code: 'api_key_required',
    status: 401,
    meaning: 'Enforcement applies and no API key was presented',
  },
  invalidApiKey: {
    code: 'invalid_api_key',
    status: 401,
    meaning: 'The presented API key is malformed or unknown, or its secret does not match',
  },
  inactiveApiKey: { code: 'inactive_api_key', status: 401, meaning: 'The API key is deactivated' },
  expiredApiKey: { code: 'expired_api_key', status: 401, meaning: 'The API key expired (expires_at is past)' },
  apiKeyClientMismatch: {
    code: 'api_key_client_mismatch',
    status: 403,
    meaning: 'The API key is bound to another client than the one the request names',
  },
  insufficientApiKeyRights: {
    code: 'insufficient_api_key_rights',
    status: 403,
    meaning: 'The API key lacks the right the operation needs (named in the message)',
  },
  apiKeyValidationUnavailable: {
    code: 'api_key_validation_unavailable',
    status: 503,
    meaning: 'The key store cannot be read (fail_closed); retry after Retry-After',
    retryAfter: 5,
  },
  apiKeyPolicyUnavailable: {
    code: 'api_key_policy_unavailable',
    status: 503,
    meaning: 'The enforcement setting cannot be read (fail_closed); retry after Retry-After',
    retryAfter: 5,
  },
  adminKeyNotConfigured: {
    code: 'admin_key_not_configured',
    status: 500,
    meaning: 'ATHENA_KEY_12 is not set on the server, so admin routes cannot authenticate anyone',
  },
  invalidAdminKey: {
    code: 'invalid_admin_key',
    status: 401,
    meaning: 'An admin route was called without the static admin key',
  },
  unauthenticatedCall: {
    code: 'unauthenticated_call',
    status: 500,
    meaning: 'Internal wiring error: a call reached authorization without authentication',
  },
});
