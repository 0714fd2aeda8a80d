import { AthenaError } from '@athena/common';
import { MethodTable } from './method-table';

describe('MethodTable', () => {
  const t = new MethodTable();
  t.add('/ping', 'GET');
  t.add('/ping', 'HEAD');
  t.add('/admin/api-keys/:id', 'PATCH');
  t.add('/admin/api-keys/:id', 'DELETE');
  t.add('/admin/backups/:key/download', 'GET');

  it('lists the methods of a literal or parameterised path', () => {
    expect(t.allowed('/ping')).toEqual(['GET', 'HEAD']);
    expect(t.allowed('/admin/api-keys/12')).toEqual(['DELETE', 'PATCH']);
    expect(t.allowed('/admin/backups/a%2Fb/download')).toEqual(['GET']);
    expect(t.allowed('/nope')).toBeNull();
    expect(t.allowed('/admin/api-keys/12/extra')).toBeNull();
  });

  it('refuses another method on a known path with 405 and Allow; unknown paths stay 404', () => {
    const e = t.refusal('QUERY', '/ping?x=1');
    expect(e).toBeInstanceOf(AthenaError);
    expect(e).toMatchObject({ status: 405, code: 'method_not_allowed', headers: { Allow: 'GET, HEAD' } });
    expect(t.refusal('GET', '/ping')).toBeNull();
    expect(t.refusal('QUERY', '/nope')).toBeNull();
  });
});
