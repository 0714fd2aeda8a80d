import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { ATHENA_CONFIG, AthenaConfig, ScyllaClientConfig } from '@athena/config';
import { ROOT_LOGGER } from '@athena/observability';
import { BackendDriver, BackendKind, PoolStats } from './backend-driver';
import type { DriverLog } from './postgres/postgres.driver';
import { PostgresDriverFactory, ScyllaDriverFactory, SupabaseDriverFactory } from './driver-factories';
import { breakerOptions } from './supabase/supabase.driver';

/** What the catalog hands the registry: enough to build (or reuse) an adapter. */
export interface ClientDescriptor {
  name: string;
  backend: BackendKind;
  /** Connection URI (a secret: never logged). Non-URI backends put a stable fingerprint of their settings here. */
  uri: string;
  readOnly?: boolean;
  /**
   * Backend-specific settings beyond the URI, for backends a URI alone does not describe (Supabase: the key,
   * timeout and schema — see `SupabaseClientOptions`). Holds secrets: never logged. Compared by value.
   */
  options?: Readonly<Record<string, unknown>>;
}

/** `ClientDescriptor.options` of a Supabase client (`uri` is the project URL). */
export interface SupabaseClientOptions {
  key: string;
  timeoutMs: number;
  schema: string;
}

interface Entry {
  uri: string;
  options?: Readonly<Record<string, unknown>>;
  driver: BackendDriver;
}

function sameOptions(
  a: Readonly<Record<string, unknown>> | undefined,
  b: Readonly<Record<string, unknown>> | undefined,
): boolean {
  return a === b || JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

function pinoLog(l: PinoLogger): DriverLog {
  return { warn: (m) => l.warn(m), info: (m) => l.info(m) };
}

/**
 * Owns every backend adapter: creates it on first use, replaces it when the client's URI changes,
 * closes it when the client is removed or frozen, and closes them all on shutdown.
 */
@Injectable()
export class DriverRegistry implements OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly root: PinoLogger;
  private readonly drivers = new Map<string, Entry>();

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly postgres: PostgresDriverFactory,
    private readonly scylla: ScyllaDriverFactory,
    private readonly supabase: SupabaseDriverFactory,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.root = root;
    this.logger = root.child({ component: 'driver-registry' });
  }

  /** The live adapter for a client (hot path: one Map lookup and a string compare). */
  forClient(desc: ClientDescriptor): BackendDriver {
    const existing = this.drivers.get(desc.name);
    if (
      existing &&
      existing.uri === desc.uri &&
      (existing.options === desc.options || sameOptions(existing.options, desc.options))
    ) {
      existing.options = desc.options;
      return existing.driver;
    }
    if (existing) {
      this.logger.info(`client "${desc.name}" changed its connection; replacing its pool`);
      void existing.driver.close().catch(() => undefined);
    }
    const driver = this.create(desc);
    this.drivers.set(desc.name, { uri: desc.uri, options: desc.options, driver });
    return driver;
  }

  private create(desc: ClientDescriptor): BackendDriver {
    const g = this.config.gateway;
    switch (desc.backend) {
      case 'postgres':
        return this.postgres.create({
          clientName: desc.name,
          uri: desc.uri,
          poolMax: g.pool.max,
          idleTimeoutMs: g.pool.idle_timeout_ms,
          connectionTimeoutMs: g.pool.connection_timeout_ms,
          statementTimeoutMs: g.pool.statement_timeout_ms,
          schemaRefreshMs: g.schema_refresh_ms,
          autoCastUuid: g.auto_cast_uuid_filter_values_to_text,
          readOnly: desc.readOnly,
          log: pinoLog(this.root.child({ component: 'pg', client: desc.name })),
        });
      case 'scylla':
        return this.scylla.create({
          clientName: desc.name,
          config: desc.options as unknown as ScyllaClientConfig,
          maxRows: g.max_rows,
          schemaRefreshMs: g.schema_refresh_ms,
        });
      case 'supabase': {
        const o = desc.options as unknown as SupabaseClientOptions;
        return this.supabase.create({
          clientName: desc.name,
          url: desc.uri,
          key: o.key,
          timeoutMs: o.timeoutMs,
          schema: o.schema,
          breaker: breakerOptions(g.supabase),
        });
      }
      default:
        throw new Error(`backend ${desc.backend} is not implemented yet`);
    }
  }

  /** Adapters that exist right now (for pool gauges and health). */
  entries(): Array<[string, BackendDriver]> {
    return [...this.drivers].map(([name, e]) => [name, e.driver]);
  }

  async closeClient(name: string): Promise<void> {
    const e = this.drivers.get(name);
    if (!e) return;
    this.drivers.delete(name);
    await e.driver.close();
  }

  /**
   * Takes a client's adapter out of the registry at once (the next `forClient` builds a fresh one, lazily) and
   * drains it: in-flight queries finish, then its connections close. False when it had no adapter.
   */
  drain(name: string): boolean {
    const e = this.drivers.get(name);
    if (!e) return false;
    this.drivers.delete(name);
    void e.driver
      .close()
      .catch((err: Error) => this.logger.warn(`closing the pool of "${name}" failed: ${err.message}`));
    return true;
  }

  /** The client's live pool, or null when none is open (never built, drained, or replaced). */
  poolStats(name: string): PoolStats | null {
    return this.drivers.get(name)?.driver.poolStats() ?? null;
  }

  async onApplicationShutdown(): Promise<void> {
    const all = [...this.drivers.values()];
    this.drivers.clear();
    await Promise.allSettled(all.map((e) => e.driver.close()));
  }
}
