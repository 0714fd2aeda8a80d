import { BackupsErrors } from './errors';

export const LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const DEFAULT_LABEL = 'manual';
const MAX_KEY_LENGTH = 1024;
// C0/C1 control characters and DEL.
// eslint-disable-next-line no-control-regex
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

/** `prefix` without leading/trailing slashes ("" allowed: keys then start with the client name). */
export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

/** `20261205T230102.345Z` (UTC, sortable, no characters that need encoding). */
export function keyTimestamp(d: Date): string {
  return d.toISOString().replace(/[-:]/g, '');
}

/** What `keyTimestamp` produces. */
export const KEY_TIMESTAMP_RE = /^\d{8}T\d{6}\.\d{3}Z$/;

/** `<prefix>/<client>/<UTC timestamp>-<label>.dump` */
export function buildBackupKey(prefix: string, clientName: string, label: string, at: Date): string {
  const p = normalizePrefix(prefix);
  return `${p ? `${p}/` : ''}${clientName}/${keyTimestamp(at)}-${label}.dump`;
}

/** The client segment of a key made by `buildBackupKey`, or null. */
export function clientOfKey(prefix: string, key: string): string | null {
  const p = normalizePrefix(prefix);
  const rest = p ? key.slice(p.length + 1) : key;
  const i = rest.indexOf('/');
  return i > 0 ? rest.slice(0, i) : null;
}

/**
 * Checks a key a caller sent: it must stay under the prefix, have no empty, `.` or `..` segment, no control
 * characters and no backslash. Throws 400 `invalid_backup_key` naming the rule that failed.
 */
export function validateBackupKey(prefix: string, key: string): string {
  const p = normalizePrefix(prefix);
  const bad = (why: string): never => {
    throw BackupsErrors.invalidBackupKey(
      'Invalid backup key',
      `${why}; keys look like ${p ? `${p}/` : ''}<client>/<timestamp>-<label>.dump (URL-encode "/" as %2F in the path)`,
    );
  };
  if (typeof key !== 'string' || key.length === 0) bad('the key is empty');
  if (key.length > MAX_KEY_LENGTH) bad(`the key is longer than ${MAX_KEY_LENGTH} characters`);
  if (CONTROL_RE.test(key)) bad('the key contains a control character');
  if (key.includes('\\')) bad('the key contains a backslash');
  const segments = key.split('/');
  if (segments.some((s) => s === '' || s === '.' || s === '..')) bad('the key has an empty, "." or ".." segment');
  if (p && !key.startsWith(`${p}/`)) bad(`the key is not under the prefix "${p}/"`);
  if (segments.length < (p ? p.split('/').length + 2 : 2)) bad('the key names no client folder and object');
  return key;
}

/** The file name for Content-Disposition: the last segment, restricted to a safe character set. */
export function downloadName(key: string): string {
  const base = key.slice(key.lastIndexOf('/') + 1);
  return base.replace(/[^A-Za-z0-9_.-]/g, '_') || 'backup.dump';
}
