import { redactSecrets, redactUrl } from './logger';

describe('redaction', () => {
  it('redacts credentials passed in the query string', () => {
    expect(redactUrl('/gateway/fetch?api_key=ath_abc.secret&x=1')).toBe('/gateway/fetch?api_key=[REDACTED]&x=1');
    expect(redactUrl('/x?a=1&apikey=zzz')).toBe('/x?a=1&apikey=[REDACTED]');
    expect(redactUrl('/x?a=1')).toBe('/x?a=1');
  });

  it('redacts passwords inside connection URIs', () => {
    expect(redactSecrets('postgres://user:p%40ss@db:5432/x')).toBe('postgres://user:***@db:5432/x');
    expect(redactSecrets('redis://default:topsecret@cache:6379')).toBe('redis://default:***@cache:6379');
    expect(redactSecrets('postgres://db:5432/x')).toBe('postgres://db:5432/x');
  });
});

describe('redactUrl on encoded parameter names', () => {
  it('redacts after decoding the name (?%61pi_key= is api_key)', () => {
    expect(redactUrl('/data?view=items&%61pi_key=ath_x.secret')).toBe('/data?view=items&%61pi_key=[REDACTED]');
  });
});
