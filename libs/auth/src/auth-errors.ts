import { AthenaError } from '@athena/common';

const HOW = 'Send a gateway API key as "Authorization: Bearer ath_…", or in the apikey, x-api-key or x-athena-key header';

/** The status/message map of reference control contract §1.2 and §1.5 (messages exactly as listed there). */
export const AuthErrors = {
  apiKeyRequired: () => new AthenaError(401, 'api_key_required', 'API key required', `This route needs an API key. ${HOW}`),
  invalidApiKey: () => new AthenaError(401, 'invalid_api_key', 'Invalid API key', 'The presented key is malformed, unknown or revoked; keys look like ath_<16 hex>.<64 hex>'),
  inactiveApiKey: () => new AthenaError(401, 'inactive_api_key', 'Inactive API key', 'This key is deactivated; an administrator can re-enable it (PATCH /admin/api-keys/{id} with is_active=true)'),
  expiredApiKey: () => new AthenaError(401, 'expired_api_key', 'Expired API key', 'This key is past its expires_at; issue a new key or extend it'),
  clientMismatch: (bound: string) => new AthenaError(403, 'api_key_client_mismatch', 'API key client mismatch', `This key is bound to client "${bound}"; send X-Athena-Client: ${bound} or use a key for this client`),
  insufficientRights: (required: string) => new AthenaError(403, 'insufficient_api_key_rights', 'Insufficient API key rights', `This request needs the right "${required}"; grant it (or a wildcard covering it) to the key`),
  validationUnavailable: () => AthenaError.unavailable('api_key_validation_unavailable', 'API key validation unavailable', 5, 'The auth store cannot be read right now; retry shortly'),
  policyUnavailable: () => AthenaError.unavailable('api_key_policy_unavailable', 'API key policy unavailable', 5, 'The API key enforcement setting cannot be read right now; retry shortly'),
  adminKeyNotConfigured: () => new AthenaError(500, 'admin_key_not_configured', 'Admin key not configured', 'ATHENA_KEY_12 is not set on the server; set it to enable the admin routes'),
  invalidAdminKey: () => new AthenaError(401, 'invalid_admin_key', 'Unauthorized', 'Invalid admin API key: send the value of ATHENA_KEY_12 in the X-Athena-Admin-Key (or apikey / x-athena-key) header'),
};
