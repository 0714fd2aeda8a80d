import {
  API_KEY_LENGTH,
  constantTimeEquals,
  generateApiKey,
  hashSecret,
  parseApiKey,
  presentedHashPrefix,
  verifySecret,
} from './api-key-format';
import { createHash } from 'node:crypto';
import { extractKeyCandidates } from './key-extraction';

const PUB = 'abcd1234efab5678';
const SECRET = '59f0d9f7d5e44f86a0d6d488c2b8d0a94b6b3b4b4b4f4a3b86d651a1f0f048c0';

describe('parseApiKey', () => {
  it('parses a well-formed key', () => {
    expect(parseApiKey(`ath_${PUB}.${SECRET}`)).toEqual({ publicId: PUB, secret: SECRET });
  });
  it.each([
    ['no prefix', `${PUB}.${SECRET}`],
    ['wrong prefix', `atx_${PUB}.${SECRET}`],
    ['no dot', `ath_${PUB}${SECRET}`],
    ['empty public id', `ath_.${SECRET}`],
    ['empty secret', `ath_${PUB}.`],
    ['short public id', `ath_${PUB.slice(1)}.${SECRET}`],
    ['short secret', `ath_${PUB}.${SECRET.slice(1)}`],
    ['two dots', `ath_${PUB}.${SECRET.slice(0, 30)}.${SECRET.slice(31)}`],
    ['upper-case hex', `ath_${PUB.toUpperCase()}.${SECRET}`],
    ['non-hex', `ath_${PUB}.${SECRET.slice(0, 63)}g`],
    ['non-ASCII', `ath_${PUB}.${SECRET.slice(0, 63)}é`],
    ['10 KB long', `ath_${PUB}.${'a'.repeat(10_240)}`],
    ['trailing newline', `ath_${PUB}.${SECRET}\n`],
    ['empty', ''],
  ])('rejects %s', (_what, raw) => {
    expect(parseApiKey(raw)).toBeNull();
  });
});

describe('generateApiKey / hashing', () => {
  it('produces ath_{16 hex}.{64 hex} with a salted SHA-256 that verifies, and only that secret verifies', () => {
    const k = generateApiKey();
    expect(k.plaintext).toHaveLength(API_KEY_LENGTH);
    const parsed = parseApiKey(k.plaintext)!;
    expect(parsed.publicId).toBe(k.publicId);
    expect(k.hash).toBe(hashSecret(k.salt, parsed.secret));
    expect(k.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(verifySecret(k.salt, parsed.secret, k.hash)).toBe(true);
    expect(
      verifySecret(
        k.salt,
        parsed.secret.replace(/.$/, (c) => (c === '0' ? '1' : '0')),
        k.hash,
      ),
    ).toBe(false);
    expect(verifySecret('other-salt', parsed.secret, k.hash)).toBe(false);
    expect(verifySecret(k.salt, parsed.secret, 'abcd')).toBe(false);
    expect(k.plaintext).not.toContain(k.hash);
  });
  it('uses a fresh salt and key every time', () => {
    const a = generateApiKey();
    const b = generateApiKey();
    expect(a.salt).not.toBe(b.salt);
    expect(a.publicId).not.toBe(b.publicId);
  });
  it('hashes salt:secret (reference §1.3)', () => {
    expect(hashSecret('salt', 'secret')).toBe(createHash('sha256').update('salt:secret').digest('hex'));
  });
  it('presentedHashPrefix is a 12-hex tag, not the secret', () => {
    const p = presentedHashPrefix(`ath_${PUB}.${SECRET}`);
    expect(p).toMatch(/^[0-9a-f]{12}$/);
    expect(SECRET).not.toContain(p);
  });
  it('constantTimeEquals compares whole strings of any length', () => {
    expect(constantTimeEquals('abc', 'abc')).toBe(true);
    expect(constantTimeEquals('abc', 'abd')).toBe(false);
    expect(constantTimeEquals('abc', 'abcd')).toBe(false);
    expect(constantTimeEquals('', 'a')).toBe(false);
  });
});

describe('extractKeyCandidates (reference §1.1 order)', () => {
  it('collects every non-empty source in order', () => {
    const c = extractKeyCandidates(
      {
        authorization: 'Bearer one',
        apikey: 'two',
        'x-api-key': ' three ',
        'x-athena-key': 'four',
        'x-athena-admin-key': 'seven',
      },
      '/gateway/fetch?api_key=five&apikey=six',
    );
    expect(c).toEqual([
      { source: 'authorization', value: 'one' },
      { source: 'apikey', value: 'two' },
      { source: 'x-api-key', value: 'three' },
      { source: 'x-athena-key', value: 'four' },
      { source: 'query:api_key', value: 'five' },
      { source: 'query:apikey', value: 'six' },
      { source: 'x-athena-admin-key', value: 'seven' },
    ]);
  });
  it('takes Authorization only with the exact "Bearer " prefix, skips blanks, URL-decodes query values', () => {
    expect(extractKeyCandidates({ authorization: 'bearer x' }, '/')).toEqual([]);
    expect(extractKeyCandidates({ authorization: 'Basic eA==' }, '/')).toEqual([]);
    expect(extractKeyCandidates({ authorization: 'Bearer   ', apikey: '  ' }, '/x?api_key=')).toEqual([]);
    expect(extractKeyCandidates({}, '/x?a=1&apikey=a%2Bb')).toEqual([{ source: 'query:apikey', value: 'a+b' }]);
    expect(extractKeyCandidates({}, '/x?my_api_key_hint=1')).toEqual([]);
  });
  it('caps very long values', () => {
    const [c] = extractKeyCandidates({ apikey: 'a'.repeat(100_000) }, '/');
    expect(c.value.length).toBe(4096);
  });
});
