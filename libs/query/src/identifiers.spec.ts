import { caught } from '../../common/src/testing';
import { IDENT_RE, assertIdentifier, parseTableName, qualifiedTable, quoteIdent } from './identifiers';

describe('identifiers', () => {
  it('IDENT_RE accepts the grammar and nothing else', () => {
    for (const ok of ['a', '_', 'users', 'created_at', 'A1', '_x9', 'a'.repeat(63)])
      expect(IDENT_RE.test(ok)).toBe(true);
    for (const bad of [
      '',
      '1abc',
      'a-b',
      'a b',
      'a"b',
      'a.b',
      'users; drop table x',
      'é',
      'a'.repeat(64),
      '*',
      'a\n',
    ]) {
      expect(IDENT_RE.test(bad)).toBe(false);
    }
  });

  it('assertIdentifier throws 400 invalid_identifier naming the value and the grammar', () => {
    expect(() => assertIdentifier('ok_name', 'column')).not.toThrow();
    const e = caught(() => assertIdentifier('a"b', 'column name'));
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_identifier');
    expect(e.message).toContain('column name');
    expect(e.message).toContain('"a\\"b"');
    expect(e.detail).toContain('[A-Za-z_][A-Za-z0-9_]{0,62}');
    expect(caught(() => assertIdentifier(5, 'column')).code).toBe('invalid_identifier');
  });

  it('parseTableName accepts table and schema.table only', () => {
    expect(parseTableName('users')).toEqual({ schema: null, name: 'users' });
    expect(parseTableName('public.users')).toEqual({ schema: 'public', name: 'users' });
    for (const bad of ['a.b.c', '.users', 'public.', 'users; drop table x', '"users"', 'my table', '1abc', '']) {
      const e = caught(() => parseTableName(bad));
      expect([e.status, e.code]).toEqual([400, 'invalid_identifier']);
    }
    expect(caught(() => parseTableName('a.b.c')).detail).toContain('schema.table');
  });

  it('quoteIdent and qualifiedTable quote (and double embedded quotes defensively)', () => {
    expect(quoteIdent('users')).toBe('"users"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
    expect(qualifiedTable({ schema: null, name: 'users' })).toBe('"public"."users"');
    expect(qualifiedTable({ schema: 'app', name: 'users' })).toBe('"app"."users"');
    expect(qualifiedTable({ schema: null, name: 'users' }, 'tenant')).toBe('"tenant"."users"');
  });
});
