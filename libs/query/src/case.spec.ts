import { normalizeColumn, toSnakeCase } from './case';

describe('toSnakeCase', () => {
  it.each([
    ['createdAt', 'created_at'],
    ['CreatedAt', 'created_at'],
    ['TotalValue', 'total_value'],
    ['userID', 'user_id'],
    ['HTTPServer', 'http_server'],
    ['userIdHTTP', 'user_id_http'],
    ['address2Line', 'address2_line'],
    ['created_at', 'created_at'],
    ['already_snake_Case', 'already_snake_case'],
    ['id', 'id'],
    ['ID', 'id'],
    ['_privateField', '_private_field'],
    ['', ''],
  ])('%s → %s', (input, expected) => {
    expect(toSnakeCase(input)).toBe(expected);
  });

  it('returns the same string when there is nothing to convert', () => {
    const s = 'plain_name';
    expect(toSnakeCase(s)).toBe(s);
  });
});

describe('normalizeColumn', () => {
  it('trims, and converts only when the toggle is on', () => {
    expect(normalizeColumn('  createdAt ', false)).toBe('createdAt');
    expect(normalizeColumn('  createdAt ', true)).toBe('created_at');
    expect(normalizeColumn('name', true)).toBe('name');
  });
});
