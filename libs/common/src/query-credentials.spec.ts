import { QUERY_KEY_PARAMS, redactQueryCredentials } from './query-credentials';

describe('redactQueryCredentials', () => {
  it.each([
    ['/x?api_key=s1&y=2', '/x?api_key=[REDACTED]&y=2'],
    ['/x?%61pi_key=s1', '/x?%61pi_key=[REDACTED]'],
    ['/x?a=1&api%5Fkey=s1#frag', '/x?a=1&api%5Fkey=[REDACTED]#frag'],
    ['/x?%41PIKEY=s1', '/x?%41PIKEY=[REDACTED]'],
    ['/x?to%6Ben=s1&pass%77ord=p', '/x?to%6Ben=[REDACTED]&pass%77ord=[REDACTED]'],
    ['/x?api_key=a&api_key=b', '/x?api_key=[REDACTED]&api_key=[REDACTED]'],
    ['/x?view=items&%zz=1', '/x?view=items&%zz=1'],
    ['/x?api_key', '/x?api_key'],
    ['/x', '/x'],
    ['/x?xapi_key=1', '/x?xapi_key=1'],
  ])('%s', (url, expected) => {
    expect(redactQueryCredentials(url)).toBe(expected);
  });

  it('redacts every parameter URLSearchParams reads as a key parameter', () => {
    const url = '/d?%61pi_key=one&api%6Bey=two&a%70ikey=three';
    const read = new URLSearchParams(url.slice(3));
    for (const n of QUERY_KEY_PARAMS) expect(read.getAll(n).length).toBeGreaterThan(0);
    const red = redactQueryCredentials(url);
    for (const v of ['one', 'two', 'three']) expect(red).not.toContain(v);
  });
});
