import { createHmac, randomBytes } from 'node:crypto';

/**
 * Key for the ids of caller-named targets (direct-connection URIs, custom_supabase URL + key). Random per process
 * and never stored: an id cannot be checked against a guessed URI or key outside this process, so it is safe in
 * logs. (Each gateway instance therefore names the same target differently.)
 */
const SECRET = randomBytes(32);

/** HMAC-SHA-256 (hex) of a secret-bearing string under this process's key: pool/adapter map key and id. */
export function egressId(secretBearing: string): string {
  return createHmac('sha256', SECRET).update(secretBearing).digest('hex');
}
