import { isValidRight, requiredTableRight, rightSatisfies, RightsMatcher } from './rights';

describe('rightSatisfies (reference §1.4 wildcard matcher)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['users.read', 'users.read', true],
    ['users.read', 'users.write', false],
    ['users.read', 'orders.read', false],
    ['users.read', 'users', false],
    ['users.*', 'users.read', true],
    ['users.*', 'users.delete', true],
    ['users.*', 'users.a.b', true],
    ['users.*', 'users', false],
    ['users.*', 'orders.read', false],
    ['*.read', 'users.read', true],
    ['*.read', 'orders.read', true],
    ['*.read', 'users.write', false],
    ['*.read', 'gateway.read', true],
    ['gateway.read', 'users.read', true],
    ['gateway.read', 'users.write', false],
    ['gateway.write', 'orders.write', true],
    ['gateway.delete', 'orders.delete', true],
    ['gateway.delete', 'orders.read', false],
    ['gateway.read', 'gateway.query', false],
    ['gateway.query', 'gateway.query', true],
    ['gateway.query', 'users.query', false],
    ['gateway.*', 'users.read', true],
    ['gateway.*', 'users.delete', true],
    ['gateway.*', 'gateway.query', true],
    ['gateway.*', 'management.read', true], // reference: gateway.<action> covers any <resource>.<action>
    ['*', 'anything.at.all', true],
    ['*', 'gateway.query', true],
    ['*.*', 'users.read', true],
    ['*.*', 'users.read.x', true], // a trailing .* matches any suffix
    ['users.read', 'users.read.extra', false],
    ['management.*', 'management.tables.write', true],
    ['gateway.read', 'gateway.*', false],
    ['gateway.query', 'gateway.*', false],
  ];
  it.each(cases)('%s grants %s → %s', (granted, required, expected) => {
    expect(rightSatisfies(granted, required)).toBe(expected);
    expect(new RightsMatcher([granted]).allows(required)).toBe(expected);
  });

  it('a matcher combines grants and memoizes answers consistently', () => {
    const m = new RightsMatcher(['users.read', 'orders.*']);
    expect(m.allows('users.read')).toBe(true);
    expect(m.allows('orders.delete')).toBe(true);
    expect(m.allows('orders.delete')).toBe(true);
    expect(m.allows('users.write')).toBe(false);
    expect(m.allows('users.write')).toBe(false);
    expect(new RightsMatcher([]).allows('users.read')).toBe(false);
    expect(new RightsMatcher(['*']).all).toBe(true);
  });
});

describe('requiredTableRight', () => {
  it('derives T.<action> for plain tables and gateway.<action> otherwise', () => {
    expect(requiredTableRight('read', 'users')).toBe('users.read');
    expect(requiredTableRight('write', ' users ')).toBe('users.write');
    expect(requiredTableRight('delete', 'users')).toBe('users.delete');
    expect(requiredTableRight('read', 'public.users')).toBe('gateway.read');
    expect(requiredTableRight('write', undefined)).toBe('gateway.write');
    expect(requiredTableRight('read', '')).toBe('gateway.read');
    expect(requiredTableRight('read', 42)).toBe('gateway.read');
    expect(requiredTableRight('read', 'bad name;')).toBe('gateway.read');
    expect(requiredTableRight('read', 'x'.repeat(64))).toBe('gateway.read');
  });
});

describe('isValidRight', () => {
  it.each(['users.read', 'users.*', '*.read', '*', 'gateway.query', 'management.tables.write', 'a-b_c.d1'])(
    'accepts %s',
    (r) => {
      expect(isValidRight(r)).toBe(true);
    },
  );
  it.each([
    '',
    '.',
    'users.',
    '.read',
    'users..read',
    'users read',
    'users.re*d',
    'üsers.read',
    'users/read',
    'x'.repeat(129),
    `${'a'.repeat(64)}.read`,
  ])('rejects %j', (r) => {
    expect(isValidRight(r)).toBe(false);
  });
});

describe('pathPolicy (safety net for undecorated routes)', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { pathPolicy } = require('./auth.decorators') as typeof import('./auth.decorators');
  it.each([
    ['/admin', 'admin'],
    ['/admin/clients', 'admin'],
    ['/admin/api-keys/:id', 'admin'],
    ['/clients', 'admin'],
    ['/schema/clients', 'admin'],
    ['/query/sql', 'gateway.query'],
    ['/gateway/rpc', 'gateway.*'],
    ['/pipelines', 'gateway.*'],
    ['/management/capabilities', 'gateway.*'],
  ])('%s → %s', (route, expected) => {
    const p = pathPolicy(route)!;
    expect(p.kind === 'admin' ? 'admin' : p.kind === 'right' ? p.right : p.kind).toBe(expected);
  });
  it.each(['/', '/ping', '/health', '/metrics', '/docs', '/openapi.json', '/administrator', '/data'])(
    '%s is open',
    (route) => {
      expect(pathPolicy(route)).toBeNull();
    },
  );
});
