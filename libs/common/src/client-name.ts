import type { AthenaError } from './athena-error';
import { CommonErrors } from './errors';

/**
 * The one rule for client names (config `*_clients`, `X-Athena-Client`, API-key client bindings): ASCII
 * letters, digits, "_" and "-", not starting with a digit or "-", at most 63 characters.
 */
export const CLIENT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]{0,62}$/;

/** The rule in words, for error details. */
export const CLIENT_NAME_RULE = '1-63 characters: letters, digits, "_" or "-", starting with a letter or "_"';

export function isValidClientName(name: string): boolean {
  return CLIENT_NAME_RE.test(name);
}

/** 400 for a malformed client name; `what` names the field (e.g. `X-Athena-Client`, `client_name`). */
export function invalidClientName(code: 'invalid_client' | 'invalid_client_name', what: string): AthenaError {
  const raise = code === 'invalid_client' ? CommonErrors.invalidClient : CommonErrors.invalidClientName;
  return raise('Invalid client name', `${what} must be ${CLIENT_NAME_RULE}`);
}

/** OpenAPI schema of a client name (header, path or query parameter). */
export const CLIENT_NAME_SCHEMA = { type: 'string' as const, pattern: CLIENT_NAME_RE.source, example: 'local' };
