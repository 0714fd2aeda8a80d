import { Test } from '@nestjs/testing';
import { ANONYMOUS, GatewayCall } from '@athena/common';
import { ATHENA_CONFIG } from '@athena/config';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import type { AuthLogRow } from '@athena/store';
import { generateApiKey } from './api-key-format';
import { AuthAudit } from './auth-audit';
import { AuthLogWriter } from './auth-log-writer';
import { AuthMetrics } from './auth-metrics';
import { isAuthPrincipal } from './auth-principal';
import { AuthenticationService } from './authentication.service';
import { AuthorizationService, tableRight } from './authorization.service';
import { EnforcementService } from './enforcement.service';
import { CachedKey, KeyCache, keyScope, NO_KEY } from './key-cache';
import type { KeyCandidate } from './key-extraction';
import { RightsMatcher } from './rights';

/** Authentication + authorization as services (no HTTP, no database): the contract every edge relies on. */
describe('AuthenticationService + AuthorizationService', () => {
  const generated = generateApiKey();
  const rights = ['items.read', 'orders.*'];
  const cached: CachedKey = {
    internalId: '1',
    id: '00000000-0000-4000-8000-000000000001',
    publicId: generated.publicId,
    salt: generated.salt,
    hash: generated.hash,
    clientName: 'main',
    clientKey: 'main',
    isActive: true,
    expiresAtMs: null,
    rights,
    matcher: new RightsMatcher(rights),
    scope: keyScope(rights, 'main'),
    verifiedDigest: null,
  };
  let enforced = true;
  const rows: AuthLogRow[] = [];
  let authn: AuthenticationService;
  let authz: AuthorizationService;
  let metrics: MetricsService;

  beforeAll(async () => {
    const mod = await Test.createTestingModule({
      providers: [
        AuthenticationService,
        AuthorizationService,
        AuthAudit,
        AuthMetrics,
        MetricsService,
        { provide: ATHENA_CONFIG, useValue: { gateway: { api_key_fail_mode: 'fail_closed' } } },
        { provide: ROOT_LOGGER, useValue: { child: () => ({ warn: () => undefined, error: () => undefined }) } },
        { provide: EnforcementService, useValue: { isEnforced: () => enforced } },
        { provide: KeyCache, useValue: { get: (id: string) => (id === cached.publicId ? cached : NO_KEY) } },
        { provide: AuthLogWriter, useValue: { record: (r: AuthLogRow) => rows.push(r), touch: () => undefined } },
      ],
    }).compile();
    authn = mod.get(AuthenticationService);
    authz = mod.get(AuthorizationService);
    metrics = mod.get(MetricsService);
  });

  beforeEach(() => {
    enforced = true;
    rows.length = 0;
  });

  function call(client: string | null = 'main'): GatewayCall {
    return {
      requestId: 'r1',
      client,
      target: { directUri: null, supabaseUrl: undefined, supabaseKey: undefined },
      principal: { context: ANONYMOUS },
      cache: { read: true, write: true },
      stripNulls: undefined,
      tenant: { userId: null, companyId: null, organizationId: null },
      deadline: null,
      origin: {
        transport: 'websocket',
        method: 'POST',
        url: '/gateway/fetch?api_key=secret',
        ip: '127.0.0.1',
        userAgent: 'spec',
        host: null,
      },
    };
  }
  const key: KeyCandidate[] = [{ source: 'authorization', value: generated.plaintext }];
  const policy = { kind: 'table' as const, action: 'read' as const };

  async function authenticated(c: GatewayCall, candidates = key): Promise<GatewayCall> {
    c.principal = await authn.authenticate(c, policy, candidates);
    return c;
  }

  it("a genuine key becomes a principal with the key's rights scope; its table rights are checked on the parsed table", async () => {
    const c = await authenticated(call());
    expect(isAuthPrincipal(c.principal)).toBe(true);
    expect(c.principal.context).toMatchObject({ kind: 'api_key', publicId: generated.publicId, scope: cached.scope });
    expect(() => authz.authorizeTable(c, 'read', { schema: null, name: 'items' })).not.toThrow();
    expect(() => authz.authorizeTable(c, 'write', { schema: 'public', name: 'orders' })).toThrow(
      expect.objectContaining({ status: 403, code: 'insufficient_api_key_rights' }),
    );
    expect(rows.map((r) => [r.required_rights, r.outcome, r.reason])).toEqual([
      [['items.read'], 'allowed', 'ok'],
      [['gateway.write'], 'denied', 'insufficient_api_key_rights'],
    ]);
    // The audit row never carries the secret, and the stored path has no query string.
    expect(JSON.stringify(rows)).not.toContain(generated.plaintext.split('.')[1]);
    expect(rows[0].path).toBe('/gateway/fetch');
  });

  it('without enforcement an insufficient key is logged as allowed and the call proceeds', async () => {
    enforced = false;
    const c = await authenticated(call());
    expect(() => authz.authorize(c, 'gateway.query')).not.toThrow();
    expect(rows.map((r) => [r.outcome, r.reason, r.enforced])).toEqual([
      ['allowed', 'insufficient_api_key_rights', false],
    ]);
  });

  it('enforced: no key → 401 api_key_required; unknown key → 401; a key bound to another client → 403', async () => {
    await expect(authenticated(call(), [])).rejects.toMatchObject({ status: 401, code: 'api_key_required' });
    const other = generateApiKey();
    await expect(authenticated(call(), [{ source: 'x-api-key', value: other.plaintext }])).rejects.toMatchObject({
      status: 401,
      code: 'invalid_api_key',
    });
    await expect(authenticated(call('reporting'))).rejects.toMatchObject({
      status: 403,
      code: 'api_key_client_mismatch',
    });
  });

  it('rebind re-authenticates under the client a payload names (the key binding applies to it)', async () => {
    const c = await authenticated(call(null), key).catch((e) => e);
    expect(c).toMatchObject({ status: 403, code: 'api_key_client_mismatch' }); // bound to main, no client named
    enforced = false;
    const open = await authenticated(call(null));
    enforced = true;
    await authn.rebind(open, 'main', 'gateway.query');
    expect(open.principal.context.kind).toBe('api_key');
    await expect(Promise.resolve().then(() => authn.rebind(open, 'reporting', 'gateway.query'))).rejects.toMatchObject({
      code: 'api_key_client_mismatch',
    });
  });

  it('refuses to authorize a call that never went through authentication', () => {
    expect(() => authz.authorize(call(), 'items.read')).toThrow(
      expect.objectContaining({ status: 500, code: 'unauthenticated_call' }),
    );
  });

  it("counts every outcome in the instance's metrics", async () => {
    const c = await authenticated(call());
    authz.authorize(c, 'items.read');
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/athena_auth_outcomes_total\{outcome="allowed",reason="ok",enforced="true"\} [1-9]/);
  });

  it('tableRight: unqualified → <table>.<action>, schema-qualified → gateway.<action>', () => {
    expect(tableRight('delete', { schema: null, name: 'users' })).toBe('users.delete');
    expect(tableRight('read', { schema: 'audit', name: 'users' })).toBe('gateway.read');
  });
});
