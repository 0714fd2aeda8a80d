import { isConnectionLoss, isPoolExhausted } from './connection-loss';

const withCode = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('isConnectionLoss', () => {
  it.each(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'EPIPE'])(
    'socket code %s',
    (c) => {
      expect(isConnectionLoss(withCode(c))).toBe(true);
    },
  );

  it.each([
    '08000',
    '08001',
    '08003',
    '08004',
    '08006',
    '08P01',
    '57P01',
    '57P02',
    '57P03',
    '53300',
    '3D000',
    '28P01',
    '28000',
  ])('SQLSTATE %s', (c) => expect(isConnectionLoss(withCode(c))).toBe(true));

  it.each([
    'timeout exceeded when trying to connect',
    'Connection terminated unexpectedly',
    'Connection terminated due to connection timeout',
    'connect ECONNREFUSED 127.0.0.1:1',
    'getaddrinfo ENOTFOUND nowhere.invalid',
  ])('message %p', (m) => {
    expect(isConnectionLoss(new Error(m))).toBe(true);
  });

  it.each([
    ['unique violation', withCode('23505')],
    ['syntax error', withCode('42601')],
    ['statement timeout (the server answered)', withCode('57014', 'canceling statement due to statement timeout')],
    ['plain error', new Error('boom')],
    ['null', null],
    ['string', 'ECONNRESET'],
    ['undefined', undefined],
  ])('not for %s', (_what, e) => {
    expect(isConnectionLoss(e)).toBe(false);
  });
});

describe('isPoolExhausted', () => {
  it('is the pool-wait timeout only, not the establishment timeout or a server error', () => {
    expect(isPoolExhausted(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isPoolExhausted(new Error('Connection terminated due to connection timeout'))).toBe(false);
    expect(isPoolExhausted(withCode('53300', 'timeout exceeded when trying to connect'))).toBe(false);
    expect(isPoolExhausted(null)).toBe(false);
  });
});
