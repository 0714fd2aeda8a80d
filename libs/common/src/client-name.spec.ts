import { CLIENT_NAME_RE, invalidClientName, isValidClientName } from './client-name';

describe('client names', () => {
  it.each(['main', 'a', '_x', 'Reporting_2', 'my-client', 'A'.repeat(63)])('accepts %p', (n) => {
    expect(isValidClientName(n)).toBe(true);
  });

  it.each(['', '9lives', '-x', 'a.b', 'bad name', 'bad name!', '../etc', 'é', 'A'.repeat(64), 'x\n'])(
    'refuses %p',
    (n) => {
      expect(isValidClientName(n)).toBe(false);
    },
  );

  it('is the config schema rule', () => {
    expect(CLIENT_NAME_RE.source).toBe('^[A-Za-z_][A-Za-z0-9_-]{0,62}$');
  });

  it('builds a 400 with the given code naming the field', () => {
    const e = invalidClientName('invalid_client_name', 'client_name');
    expect(e.status).toBe(400);
    expect(e.code).toBe('invalid_client_name');
    expect(e.detail).toBe(
      'client_name must be 1-63 characters: letters, digits, "_" or "-", starting with a letter or "_"',
    );
  });
});
