import { createHash, hash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** `ath_` + 16 hex public id + `.` + 64 hex secret (reference control contract §1.3). */
export const API_KEY_PREFIX = 'ath_';
export const PUBLIC_ID_LENGTH = 16;
export const SECRET_LENGTH = 64;
/** Exact length of a well-formed key; anything longer is rejected before any other work. */
export const API_KEY_LENGTH = API_KEY_PREFIX.length + PUBLIC_ID_LENGTH + 1 + SECRET_LENGTH;
const KEY_RE = /^ath_([0-9a-f]{16})\.([0-9a-f]{64})$/;

export interface ParsedApiKey {
  publicId: string;
  secret: string;
}

/** Strict grammar: null for anything that is not exactly `ath_<16 hex>.<64 hex>` (lower-case). */
export function parseApiKey(raw: string): ParsedApiKey | null {
  if (raw.length !== API_KEY_LENGTH) return null;
  const m = KEY_RE.exec(raw);
  return m ? { publicId: m[1], secret: m[2] } : null;
}

/** SHA-256 of `salt:secret`, lower-case hex (the stored `key_hash`). */
export function hashSecret(salt: string, secret: string): string {
  return createHash('sha256').update(`${salt}:${secret}`).digest('hex');
}

/** Constant-time check of a presented secret against the stored salt and hash. */
export function verifySecret(salt: string, secret: string, storedHashHex: string): boolean {
  const expected = Buffer.from(storedHashHex, 'hex');
  const input = `${salt}:${secret}`;
  const actual =
    typeof hash === 'function' ? hash('sha256', input, 'buffer') : createHash('sha256').update(input).digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * A short, non-reversible tag of what was presented, safe for the auth log: the first 12 hex characters of
 * SHA-256 over the whole presented value (never the secret, never the stored hash).
 */
export function presentedHashPrefix(raw: string): string {
  return createHash('sha256').update(raw).digest('hex').slice(0, 12);
}

export interface GeneratedApiKey {
  plaintext: string;
  publicId: string;
  salt: string;
  hash: string;
}

const simpleUuid = (): string => randomUUID().replace(/-/g, '');

/** A new key: public id = 16 hex of a UUID v4, secret = two UUID v4 (64 hex), salt = 32 random bytes (hex). */
export function generateApiKey(): GeneratedApiKey {
  const publicId = simpleUuid().slice(0, PUBLIC_ID_LENGTH);
  const secret = simpleUuid() + simpleUuid();
  const salt = randomBytes(32).toString('hex');
  return { plaintext: `${API_KEY_PREFIX}${publicId}.${secret}`, publicId, salt, hash: hashSecret(salt, secret) };
}

/** Constant-time equality of two arbitrary strings (hash both first so lengths never leak). */
export function constantTimeEquals(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest();
  const hb = createHash('sha256').update(b).digest();
  return timingSafeEqual(ha, hb) && a.length === b.length;
}
