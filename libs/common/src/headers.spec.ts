import { firstHeader, firstValue } from './headers';

describe('firstValue / firstHeader', () => {
  it('takes the first of repeated values and passes single values through', () => {
    expect(firstValue(undefined)).toBeUndefined();
    expect(firstValue('a')).toBe('a');
    expect(firstValue(['a', 'b'])).toBe('a');
    expect(firstValue([])).toBeUndefined();
    expect(firstValue(' a ')).toBe(' a ');
  });

  it('trims and caps on request', () => {
    expect(firstValue('  main ', { trim: true })).toBe('main');
    expect(firstValue(['  x  ', 'y'], { trim: true })).toBe('x');
    expect(firstValue('   ', { trim: true })).toBe('');
    expect(firstValue('abcdef', { maxLength: 3 })).toBe('abc');
    expect(firstValue('  abcdef', { trim: true, maxLength: 3 })).toBe('abc');
    expect(firstValue(undefined, { trim: true, maxLength: 3 })).toBeUndefined();
  });

  it('reads a header by name', () => {
    const headers = { 'x-athena-client': [' main ', 'other'], 'user-agent': 'curl' };
    expect(firstHeader(headers, 'x-athena-client', { trim: true })).toBe('main');
    expect(firstHeader(headers, 'user-agent')).toBe('curl');
    expect(firstHeader(headers, 'x-missing')).toBeUndefined();
  });
});
