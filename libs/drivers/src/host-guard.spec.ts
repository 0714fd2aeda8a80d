import { hostAllowed, isNonPublicAddress, publicOnlyLookup, resolveHost } from './host-guard';

describe('hostAllowed', () => {
  it('matches exact names case-insensitively and *.suffix subdomains only', () => {
    expect(hostAllowed('abc.supabase.co', ['ABC.supabase.co'])).toBe(true);
    expect(hostAllowed('abc.supabase.co', ['*.supabase.co'])).toBe(true);
    expect(hostAllowed('supabase.co', ['*.supabase.co'])).toBe(false);
    expect(hostAllowed('evilsupabase.co', ['*.supabase.co'])).toBe(false);
    expect(hostAllowed('abc.supabase.co.evil.com', ['*.supabase.co'])).toBe(false);
    expect(hostAllowed('127.0.0.1', ['127.0.0.1'])).toBe(true);
    expect(hostAllowed('[::1]', ['::1'])).toBe(true);
    expect(hostAllowed('x', [])).toBe(false);
  });
});

describe('isNonPublicAddress', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '224.0.0.1',
    '255.255.255.255',
    'not-an-ip',
  ])('%s is refused', (a) => expect(isNonPublicAddress(a)).toBe(true));
  it.each(['8.8.8.8', '104.18.1.1', '2606:4700::1111', '::ffff:8.8.8.8'])('%s is public', (a) =>
    expect(isNonPublicAddress(a)).toBe(false),
  );
});

describe('DNS checks (resolver of this machine)', () => {
  it('resolves IP literals without DNS and localhost to loopback', async () => {
    expect(await resolveHost('[::1]')).toEqual(['::1']);
    const local = await resolveHost('localhost');
    expect(local.length).toBeGreaterThan(0);
    expect(local.every(isNonPublicAddress)).toBe(true);
  });

  it('the connect-time lookup refuses a host that resolves to loopback', async () => {
    const err = await new Promise<unknown>((resolve) => publicOnlyLookup('localhost', {}, (e) => resolve(e)));
    expect(err).toMatchObject({ code: 'EATHENABLOCKED' });
  });
});
