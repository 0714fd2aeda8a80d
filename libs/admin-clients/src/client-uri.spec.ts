import { AthenaError } from '@athena/common';
import { redactUri, requireOneUriSource, requirePgUri } from './client-uri';

function codeOf(fn: () => unknown): { status: number; code: string; error: string } | null {
  try {
    fn();
    return null;
  } catch (e) {
    const a = e as AthenaError;
    return { status: a.status, code: a.code, error: a.detail ?? '' };
  }
}

describe('client URIs', () => {
  it('accepts postgres and postgresql URIs', () => {
    expect(requirePgUri('pg_uri', ' postgres://u:p@h:5432/db ')).toBe('postgres://u:p@h:5432/db');
    expect(requirePgUri('pg_uri', 'postgresql://h/db')).toBe('postgresql://h/db');
  });

  it('rejects unparsable URIs and other schemes with 400 naming the field, never echoing the value', () => {
    for (const bad of ['not a uri', 'mysql://u:secret@h/db', 'http://h/db', 'postgres://']) {
      const err = codeOf(() => requirePgUri('pg_uri', bad));
      expect(err).toMatchObject({ status: 400, code: 'invalid_pg_uri' });
      expect(err!.error).toContain('pg_uri');
      expect(err!.error).not.toContain('secret');
    }
  });

  it('redacts passwords (userinfo and query) everywhere', () => {
    expect(redactUri('postgres://user:s3cret@db.example:5432/app')).toBe('postgres://user:***@db.example:5432/app');
    expect(redactUri('postgres://db.example/app?password=x&sslmode=require')).toBe(
      'postgres://db.example/app?password=***&sslmode=require',
    );
    expect(redactUri('postgres://user@db/app')).toBe('postgres://user@db/app');
    expect(redactUri(null)).toBeNull();
  });

  it('needs exactly one URI source', () => {
    expect(requireOneUriSource('postgres://h/db', undefined)).toBe('pg_uri');
    expect(requireOneUriSource(null, 'PG_URI')).toBe('pg_uri_env_var');
    expect(codeOf(() => requireOneUriSource(undefined, undefined))).toMatchObject({
      status: 400,
      code: 'invalid_uri_source',
    });
    expect(codeOf(() => requireOneUriSource('postgres://h/db', 'X'))).toMatchObject({
      status: 400,
      code: 'invalid_uri_source',
    });
    expect(codeOf(() => requireOneUriSource(' ', ''))).toMatchObject({ status: 400, code: 'invalid_uri_source' });
  });
});
