import { AuthErrorCodes } from './errors';

const HOW =
  'Send a gateway API key as "Authorization: Bearer ath_…", or in the apikey, x-api-key or x-athena-key header';

/** The status/message map of reference control contract §1.2 and §1.5 (messages exactly as listed there). */
export const AuthErrors = {
  apiKeyRequired: () => AuthErrorCodes.apiKeyRequired('API key required', `This route needs an API key. ${HOW}`),
  invalidApiKey: () =>
    AuthErrorCodes.invalidApiKey(
      'Invalid API key',
      'The presented key is malformed, unknown or revoked; keys look like ath_<16 hex>.<64 hex>',
    ),
  inactiveApiKey: () =>
    AuthErrorCodes.inactiveApiKey(
      'Inactive API key',
      'This key is deactivated; an administrator can re-enable it (PATCH /admin/api-keys/{id} with is_active=true)',
    ),
  expiredApiKey: () =>
    AuthErrorCodes.expiredApiKey('Expired API key', 'This key is past its expires_at; issue a new key or extend it'),
  clientMismatch: (bound: string) =>
    AuthErrorCodes.apiKeyClientMismatch(
      'API key client mismatch',
      `This key is bound to client "${bound}"; send X-Athena-Client: ${bound} or use a key for this client`,
    ),
  insufficientRights: (required: string) =>
    AuthErrorCodes.insufficientApiKeyRights(
      'Insufficient API key rights',
      `This request needs the right "${required}"; grant it (or a wildcard covering it) to the key`,
    ),
  validationUnavailable: () =>
    AuthErrorCodes.apiKeyValidationUnavailable(
      'API key validation unavailable',
      'The auth store cannot be read right now; retry shortly',
    ),
  policyUnavailable: () =>
    AuthErrorCodes.apiKeyPolicyUnavailable(
      'API key policy unavailable',
      'The API key enforcement setting cannot be read right now; retry shortly',
    ),
  adminKeyNotConfigured: () =>
    AuthErrorCodes.adminKeyNotConfigured(
      'Admin key not configured',
      'ATHENA_KEY_12 is not set on the server; set it to enable the admin routes',
    ),
  invalidAdminKey: () =>
    AuthErrorCodes.invalidAdminKey(
      'Unauthorized',
      'Invalid admin API key: send the value of ATHENA_KEY_12 in the X-Athena-Admin-Key (or apikey / x-athena-key) header',
    ),
};
