import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import type { fetch as undiciFetch } from 'undici';
import { Counter } from 'prom-client';
import { firstValue } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import { BackendDriver } from '../backend-driver';
import { SupabaseDriverFactory } from '../driver-factories';
import { egressId } from '../egress-id';
import { hostAllowed, isNonPublicAddress, publicOnlyConnector, resolveHost, undici } from '../host-guard';
import { SupabaseDriver, breakerOptions } from './supabase.driver';
import { DriversErrors } from '../errors';

const TRIM = { trim: true } as const;

/** The reserved `X-Athena-Client` value that takes the target from `x-supabase-url` / `x-supabase-key`. */
export const CUSTOM_SUPABASE = 'custom_supabase';
const DNS_CHECK_TTL_MS = 30_000;
const MAX_DNS_CACHE = 1024;

/**
 * Thrown (as a fetch failure) when the upstream answers a redirect: custom_supabase never follows one, because the
 * allow-list and address checks only vouch for the URL the caller named, and a followed redirect would carry the
 * key (`apikey` header) to whatever host the Location names.
 */
export class EgressRedirectError extends Error {
  override readonly name = 'EgressRedirectError';
  readonly code = 'EATHENAREDIRECT';
  constructor(readonly status: number) {
    super(`the upstream answered a redirect (HTTP ${status}); redirects are not followed`);
  }
}

/**
 * The fetch custom_supabase adapters use: never follows redirects (a 3xx fails with `EgressRedirectError`), and —
 * unless `allowPrivate` — its connections refuse non-public addresses at connect time, for host names (defeats DNS
 * rebinding) and IP literals alike.
 */
export function publicOnlyFetch(opts: { allowPrivate?: boolean } = {}): typeof fetch {
  const { Agent, fetch: undiciFetchImpl } = undici();
  const agent = opts.allowPrivate ? new Agent() : new Agent({ connect: publicOnlyConnector() });
  return (async (input: Parameters<typeof fetch>[0], init?: RequestInit) => {
    const res = await undiciFetchImpl(
      input as Parameters<typeof undiciFetch>[0],
      { ...(init as object), redirect: 'manual', dispatcher: agent } as Parameters<typeof undiciFetch>[1],
    );
    if (res.type === 'opaqueredirect' || (res.status >= 300 && res.status < 400 && res.status !== 304)) {
      await res.body?.cancel().catch(() => undefined);
      throw new EgressRedirectError(res.status);
    }
    return res;
  }) as unknown as typeof fetch;
}

/**
 * `custom_supabase`: an ad-hoc Supabase project named by the caller's headers. Because that makes the gateway call a
 * caller-supplied URL, it is off by default; when on, the URL must be https (unless `allow_http`), its host must be
 * in `allowed_hosts`, and — unless `allow_private_addresses` — every address it resolves to must be public (checked
 * before the first call, and again on every connection, IP literals included). Redirects are never followed (a 3xx
 * answer is 502 `backend_redirect_refused`). Refusals are 403 `custom_supabase_not_allowed`.
 * Adapters are cached per (URL, key), at most `max_clients`; the key is a secret and is never logged.
 */
@Injectable()
export class CustomSupabaseService implements OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly drivers = new Map<string, BackendDriver>();
  private readonly dnsChecks = new Map<string, { ok: boolean; until: number }>();
  private guardedFetch: typeof fetch | null = null;
  private readonly refusals: Counter<'reason'>;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    metrics: MetricsService,
    private readonly supabase: SupabaseDriverFactory,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'custom-supabase' });
    this.refusals = new Counter({
      name: 'athena_custom_supabase_refusals_total',
      help: 'custom_supabase requests refused, by reason (disabled|scheme|host|private_address)',
      labelNames: ['reason'] as const,
      registers: [metrics.registry],
    });
  }

  private deny(reason: string, detail: string): never {
    this.refusals.inc({ reason });
    throw DriversErrors.customSupabaseNotAllowed('custom_supabase is not allowed', detail);
  }

  async resolve(
    urlHeader: string | string[] | undefined,
    keyHeader: string | string[] | undefined,
  ): Promise<BackendDriver> {
    const c = this.config.gateway.custom_supabase;
    if (!c.enabled) {
      this.deny(
        'disabled',
        'This gateway does not accept custom_supabase (gateway.custom_supabase.enabled is false); use a configured client',
      );
    }
    const rawUrl = firstValue(urlHeader, TRIM) ?? '';
    const key = firstValue(keyHeader, TRIM) ?? '';
    if (rawUrl === '' || key === '') {
      throw DriversErrors.missingSupabaseHeaders(
        'Missing x-supabase-url or x-supabase-key',
        'X-Athena-Client: custom_supabase needs both x-supabase-url (the project URL) and x-supabase-key',
      );
    }
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      throw DriversErrors.invalidSupabaseUrl(
        'Invalid x-supabase-url',
        'x-supabase-url must be an absolute URL such as https://<project>.supabase.co',
      );
    }
    if (url.username || url.password) {
      throw DriversErrors.invalidSupabaseUrl(
        'Invalid x-supabase-url',
        'x-supabase-url must not carry credentials; send the key in x-supabase-key',
      );
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && c.allow_http)) {
      this.deny('scheme', `x-supabase-url must use https://${c.allow_http ? ' or http://' : ''}`);
    }
    if (!hostAllowed(url.hostname, c.allowed_hosts)) {
      this.deny('host', `Host "${url.hostname}" is not in gateway.custom_supabase.allowed_hosts`);
    }
    if (!c.allow_private_addresses && !(await this.hostIsPublic(url.hostname))) {
      this.deny('private_address', `Host "${url.hostname}" resolves to a private, loopback or link-local address`);
    }
    const id = egressId(`${url.origin}\n${key}`);
    const hit = this.drivers.get(id);
    if (hit) {
      // LRU: move to the back.
      this.drivers.delete(id);
      this.drivers.set(id, hit);
      return hit;
    }
    while (this.drivers.size >= c.max_clients) {
      const [oldId, old] = this.drivers.entries().next().value as [string, BackendDriver];
      this.drivers.delete(oldId);
      // Not close(): requests that resolved this adapter may still be running (or about to start) on it.
      retire(old, c.timeout_ms);
    }
    if (!this.guardedFetch) this.guardedFetch = publicOnlyFetch({ allowPrivate: c.allow_private_addresses });
    const driver = this.supabase.create({
      // Unique per (URL, key): the adapter name keys single-flight coalescing, which must never mix two projects.
      clientName: `${CUSTOM_SUPABASE}:${id.slice(0, 12)}`,
      url: url.origin,
      key,
      timeoutMs: c.timeout_ms,
      schema: 'public',
      breaker: breakerOptions(this.config.gateway.supabase),
      fetch: this.guardedFetch,
    });
    this.drivers.set(id, driver);
    this.logger.info(`custom_supabase adapter created for ${url.origin}`);
    return driver;
  }

  private async hostIsPublic(host: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.dnsChecks.get(host);
    if (cached && cached.until > now) return cached.ok;
    let ok: boolean;
    try {
      const addrs = await resolveHost(host);
      ok = addrs.length > 0 && !addrs.some(isNonPublicAddress);
    } catch {
      throw DriversErrors.invalidSupabaseUrl(
        'x-supabase-url host does not resolve',
        `Host "${host}" could not be resolved`,
      );
    }
    if (this.dnsChecks.size >= MAX_DNS_CACHE) this.dnsChecks.clear();
    this.dnsChecks.set(host, { ok, until: now + DNS_CHECK_TTL_MS });
    return ok;
  }

  async onApplicationShutdown(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.allSettled(all.map((d) => d.close()));
  }
}

/** Closes an adapter once calls already on it can have finished (a SupabaseDriver also waits for its last call). */
function retire(driver: BackendDriver, graceMs: number): void {
  if (driver instanceof SupabaseDriver) driver.retire(graceMs);
  else setTimeout(() => void driver.close().catch(() => undefined), graceMs).unref();
}
