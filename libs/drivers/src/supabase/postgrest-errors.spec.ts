import { mapPostgrestError } from './postgrest-errors';

describe('mapPostgrestError', () => {
  it('network failures (status 0) are 503 with Retry-After and never echo stacks or details', () => {
    const e = mapPostgrestError(
      0,
      {
        message: 'TypeError: fetch failed',
        details: 'TypeError: fetch failed\n    at node:internal/deps/undici…',
        code: '',
      },
      'sb',
    );
    expect([e.status, e.code, e.headers['Retry-After']]).toEqual([503, 'backend_unavailable', '5']);
    expect(e.detail).toContain('TypeError: fetch failed');
    expect(e.detail).not.toContain('node:internal');
  });

  it.each([502, 503, 504, 500])('HTTP %d without a SQLSTATE is 503 backend_unavailable', (status) => {
    expect(mapPostgrestError(status, { code: 'PGRST001', message: 'Database client error' }, 'sb').code).toBe(
      'backend_unavailable',
    );
    expect(mapPostgrestError(status, { message: '<html>bad gateway</html>' }, 'sb').status).toBe(503);
  });

  it('a SQLSTATE on a 5xx keeps its own meaning (e.g. statement timeout → 504)', () => {
    expect(
      mapPostgrestError(500, { code: '57014', message: 'canceling statement due to statement timeout' }, 'sb'),
    ).toMatchObject({ status: 504, code: 'query_timeout' });
  });

  it('unknown 4xx bodies fall back to 400 backend_rejected with the PostgREST message', () => {
    expect(mapPostgrestError(405, { message: 'Method not allowed' }, 'sb')).toMatchObject({
      status: 400,
      code: 'backend_rejected',
      detail: 'Method not allowed',
    });
    expect(
      mapPostgrestError(
        406,
        { code: 'PGRST116', message: 'JSON object requested, multiple (or no) rows returned' },
        'sb',
      ).status,
    ).toBe(406);
  });
});
