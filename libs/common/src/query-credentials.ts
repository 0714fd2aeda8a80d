/**
 * Credentials in the query string (a deprecated transport). Names are compared after decoding, with the
 * URLSearchParams rules (`+` → space, `%XX` → byte), so `?%61pi_key=` is the same parameter as `?api_key=`:
 * the key extractor reads it and every logged or stored URL redacts it.
 */

/** The parameters the key extractor reads, in this order. */
export const QUERY_KEY_PARAMS = ['api_key', 'apikey'] as const;

/** Parameters whose values never reach a log line or a stored row (decoded name, case-insensitive). */
const SECRET_PARAMS = new Set(['api_key', 'apikey', 'key', 'token', 'access_token', 'password']);

/** The decoded name of one `name=value` part. */
function decodedName(raw: string): string {
  if (raw.indexOf('%') === -1 && raw.indexOf('+') === -1) return raw;
  for (const [name] of new URLSearchParams(`${raw}=`)) return name;
  return raw;
}

/** True when the query string (after `?`) may hold a key parameter: cheap pre-check for the hot path. */
export function mayHoldQueryKey(url: string, q: number): boolean {
  return url.includes('key=', q) || url.includes('%', q) || url.includes('+', q);
}

/** `url` with the value of every secret parameter replaced by `[REDACTED]` (names kept as sent). */
export function redactQueryCredentials(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const hash = url.indexOf('#', q);
  const end = hash === -1 ? url.length : hash;
  const parts = url.slice(q + 1, end).split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i];
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    if (SECRET_PARAMS.has(decodedName(p.slice(0, eq)).toLowerCase())) {
      parts[i] = `${p.slice(0, eq + 1)}[REDACTED]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q + 1)}${parts.join('&')}${url.slice(end)}` : url;
}
