import pino from 'pino';
import type { AthenaConfig } from '@athena/config';
import { MetricsService } from '@athena/observability';
import { AdmissionService, deferRequested, isAdmissionRoute } from './admission.service';

function service(g: Partial<AthenaConfig['gateway']>): AdmissionService {
  const config = {
    redis: { url: null },
    gateway: {
      admission_limit_enabled: true,
      admission_global_requests_per_window: 0,
      admission_per_client_requests_per_window: 0,
      admission_window_secs: 60,
      admission_defer_on_limit_enabled: false,
      admission_defer_route_prefixes: ['/gateway/query'],
      admission_redis_key_prefix: 'unit:',
      ...g,
    },
  } as unknown as AthenaConfig;
  return new AdmissionService(config, new MetricsService(), pino({ level: 'silent' }));
}

const q = (client: string | null = 'main', extra: object = {}) => ({
  route: '/gateway/query',
  client,
  inlineOnly: false,
  ...extra,
});

describe('AdmissionService (in-memory budgets)', () => {
  it('admits synchronously when off, on routes it does not cover, and with no budget set', () => {
    expect(
      service({ admission_limit_enabled: false, admission_global_requests_per_window: 1 }).check(q()),
    ).toMatchObject({ outcome: 'admitted' });
    expect(service({ admission_global_requests_per_window: 0 }).enabled).toBe(false);
    const s = service({ admission_global_requests_per_window: 1 });
    expect(s.check({ route: '/health', client: null, inlineOnly: false })).toMatchObject({ outcome: 'admitted' });
    expect(s.check({ route: '/gateway/deferred/:request_id', client: null, inlineOnly: false })).toMatchObject({
      outcome: 'admitted',
    });
  });

  it('global budget: the call past it is rejected with the seconds left in the window', async () => {
    const s = service({ admission_global_requests_per_window: 2 });
    expect((await s.check(q('a'))).outcome).toBe('admitted');
    expect((await s.check(q('b'))).outcome).toBe('admitted');
    const d = await s.check(q('c'));
    expect(d).toMatchObject({ outcome: 'rejected', scope: 'global' });
    expect(d.retryAfterSecs).toBeGreaterThanOrEqual(1);
    expect(d.retryAfterSecs).toBeLessThanOrEqual(60);
  });

  it('per-client budget is per client (case-insensitive)', async () => {
    const s = service({ admission_per_client_requests_per_window: 1 });
    expect((await s.check(q('Main'))).outcome).toBe('admitted');
    expect(await s.check(q('main'))).toMatchObject({ outcome: 'rejected', scope: 'client' });
    expect((await s.check(q('other'))).outcome).toBe('admitted');
  });

  it('over budget: deferred on matching deferrable routes when enabled or asked for; never inline-only calls', async () => {
    const s = service({ admission_global_requests_per_window: 1, admission_defer_on_limit_enabled: true });
    await s.check(q());
    expect((await s.check(q())).outcome).toBe('deferred');
    expect((await s.check(q('main', { inlineOnly: true }))).outcome).toBe('rejected');
    expect((await s.check({ route: '/gateway/fetch', client: 'main', inlineOnly: false })).outcome).toBe('rejected'); // prefix not configured
    expect(
      (await s.check({ route: '/gateway/fetch', client: 'main', inlineOnly: false, deferRequested: true })).outcome,
    ).toBe('deferred');
    expect((await s.check({ route: '/query/sql', client: 'main', inlineOnly: false })).outcome).toBe('rejected'); // the worker cannot run it
  });

  it('helpers', () => {
    expect(['true', 'TRUE', ' 1', 'yes', 'on'].map(deferRequested)).toEqual([true, true, true, true, true]);
    expect(['false', '0', '', 'no', undefined].map(deferRequested)).toEqual([false, false, false, false, false]);
    expect(['/gateway/fetch', '/data', '/query/sql', '/pipelines/run'].every(isAdmissionRoute)).toBe(true);
    expect(['/health', '/metrics', '/admin/api-keys', '/gateway/deferred/:request_id'].some(isAdmissionRoute)).toBe(
      false,
    );
  });
});
