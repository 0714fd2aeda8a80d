import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { firstValue, invalidClientName, isValidClientName } from '@athena/common';

const TRIM = { trim: true } as const;
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { BackendKind, ClientDescriptor, DriverRegistry } from '@athena/drivers';
import { ROOT_LOGGER } from '@athena/observability';
import { CLIENTS_CHANGED_CHANNEL, ClientsRepository, ControlPlaneEvents, ControlPlaneService } from '@athena/store';
import { CatalogErrors } from './errors';

export interface CatalogEntry {
  name: string;
  backend: BackendKind;
  source: 'config' | 'database';
  active: boolean;
  frozen: boolean;
  /** null when the URI (or its env var) is not set: the client is known but cannot route. */
  descriptor: ClientDescriptor | null;
  /** Where the connection comes from: an `athena_clients` URI, its env var, or config.yaml (null: nowhere). */
  uriSource: 'pg_uri' | 'pg_uri_env_var' | 'config' | null;
  /** The env var named by the catalog row, if any (reported when it is unset). */
  envVar: string | null;
}

/** Safety net for a missed notification (catalog changes arrive by LISTEN/NOTIFY within milliseconds). */
const RECONCILE_MS = 10_000;

function sameDescriptor(a: ClientDescriptor | null, b: ClientDescriptor | null): boolean {
  if (a === b) return true;
  if (!a || !b) return false;
  return (
    a.uri === b.uri &&
    a.backend === b.backend &&
    a.readOnly === b.readOnly &&
    (a.options === b.options || JSON.stringify(a.options ?? null) === JSON.stringify(b.options ?? null))
  );
}

function routable(e: CatalogEntry | undefined): ClientDescriptor | null {
  return e && e.active && !e.frozen ? e.descriptor : null;
}

/**
 * The client catalog: config.yaml clients plus `athena_clients` rows, held in memory. Resolution on the
 * request path is a Map lookup — the database is read at boot and on reconciliation only.
 */
@Injectable()
export class ClientCatalogService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private entries = new Map<string, CatalogEntry>();
  private timer: NodeJS.Timeout | null = null;
  private syncing: Promise<void> | null = null;
  private again = false;
  private lastSyncAt: Date | null = null;
  private readonly listeners: Array<(name: string) => void> = [];

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly controlPlane: ControlPlaneService,
    private readonly clients: ClientsRepository,
    private readonly events: ControlPlaneEvents,
    private readonly drivers: DriverRegistry,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'client-catalog' });
    this.entries = this.configEntries();
  }

  async onApplicationBootstrap(): Promise<void> {
    // Any change (or a reconnect of the notification connection: EVENTS_RESYNC) reloads the whole registry.
    this.events.subscribe(CLIENTS_CHANGED_CHANNEL, () => void this.refresh());
    this.controlPlane.onReady(async () => {
      await this.syncFromDatabase(true);
      this.timer = setInterval(() => void this.refresh(), RECONCILE_MS);
      this.timer.unref();
    });
  }

  /** When the registry was last reloaded from `athena_clients` (null: never). */
  get syncedAt(): Date | null {
    return this.lastSyncAt;
  }

  /**
   * Reloads the registry from `athena_clients`. Coalesced: while a reload runs, further calls share one more
   * reload that starts after it (so a change committed mid-reload is never missed). Resolves when applied.
   */
  refresh(): Promise<void> {
    if (!this.controlPlane.isReady) return Promise.resolve();
    if (this.syncing) {
      this.again = true;
      return this.syncing.then(() => this.syncing ?? undefined);
    }
    this.syncing = this.syncFromDatabase(false).finally(() => {
      this.syncing = null;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.syncing;
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private configEntries(): Map<string, CatalogEntry> {
    const map = new Map<string, CatalogEntry>();
    for (const [name, uri] of Object.entries(this.config.postgres_clients)) {
      const readOnly = this.config.postgres_client_options?.[name]?.read_only === true;
      map.set(name.toLowerCase(), {
        name,
        backend: 'postgres',
        source: 'config',
        active: true,
        frozen: false,
        envVar: null,
        uriSource: uri ? 'config' : null,
        descriptor: uri ? { name, backend: 'postgres', uri, ...(readOnly ? { readOnly } : {}) } : null,
      });
    }
    for (const [name, sb] of Object.entries(this.config.supabase_clients ?? {})) {
      map.set(name.toLowerCase(), {
        name,
        backend: 'supabase',
        source: 'config',
        active: true,
        frozen: false,
        envVar: null,
        uriSource: sb.url && sb.key ? 'config' : null,
        descriptor:
          sb.url && sb.key
            ? {
                name,
                backend: 'supabase',
                uri: sb.url,
                options: { key: sb.key, timeoutMs: sb.timeout_ms, schema: sb.schema },
              }
            : null,
      });
    }
    for (const [name, c] of Object.entries(this.config.scylla_clients ?? {})) {
      const fingerprint = `cql://${c.contact_points.join(',')}/${c.keyspace ?? ''}?dc=${c.local_data_center}`;
      map.set(name.toLowerCase(), {
        name,
        backend: 'scylla',
        source: 'config',
        active: true,
        frozen: false,
        envVar: null,
        uriSource: c.contact_points.length > 0 ? 'config' : null,
        descriptor:
          c.contact_points.length > 0
            ? { name, backend: 'scylla', uri: fingerprint, options: c as unknown as Record<string, unknown> }
            : null,
      });
    }
    return map;
  }

  /** Seeds config clients into `athena_clients` (first run only) and merges the table's rows. */
  async syncFromDatabase(seed: boolean): Promise<void> {
    try {
      if (seed) {
        await this.clients.seedConfigClients(
          [...this.configEntries().values()].map((e) => ({ name: e.name, template: null, backend: e.backend })),
        );
      }
      if (!this.config.gateway.database_backed_client_loading) return;
      const rows = await this.clients.listActiveRows();
      const next = this.configEntries();
      for (const row of rows) {
        const key = row.clientName.toLowerCase();
        const fromConfig = next.get(key);
        if (fromConfig && fromConfig.backend !== 'postgres') {
          // Scylla/Supabase clients are described by config.yaml; the row carries their admin flags only.
          next.set(key, { ...fromConfig, active: row.isActive, frozen: row.isFrozen });
          continue;
        }
        const rowBackend = (row.metadata as { backend?: unknown } | null)?.backend;
        if (!fromConfig && rowBackend !== undefined && rowBackend !== 'postgres') continue; // its config entry is gone
        const envUri = row.pgUriEnvVar ? process.env[row.pgUriEnvVar] : undefined;
        const uri = row.pgUri || envUri || fromConfig?.descriptor?.uri || null;
        const name = fromConfig?.name ?? row.clientName;
        next.set(key, {
          name,
          backend: 'postgres',
          source: fromConfig ? 'config' : 'database',
          active: row.isActive,
          frozen: row.isFrozen,
          envVar: row.pgUriEnvVar,
          uriSource: row.pgUri ? 'pg_uri' : envUri ? 'pg_uri_env_var' : fromConfig?.descriptor ? 'config' : null,
          descriptor: uri
            ? { name, backend: 'postgres', uri, ...(fromConfig?.descriptor?.readOnly ? { readOnly: true } : {}) }
            : null,
        });
      }
      this.apply(next);
    } catch (e) {
      this.logger.warn(`catalog sync failed, keeping the previous registry: ${(e as Error).message}`);
    }
  }

  /**
   * Swaps the registry in, then drains the pool of every client that stopped routing (removed, deactivated,
   * frozen) or whose connection changed; the next request to a changed client builds its new pool lazily.
   */
  private apply(next: Map<string, CatalogEntry>): void {
    const prev = this.entries;
    this.entries = next;
    this.lastSyncAt = new Date();
    for (const key of new Set([...prev.keys(), ...next.keys()])) {
      const before = routable(prev.get(key));
      const after = routable(next.get(key));
      if (before === after || (before && after && sameDescriptor(before, after) && after.name === before.name))
        continue;
      if (before && this.drivers.drain(before.name)) {
        this.logger.info(`client "${before.name}" ${after ? 'changed its connection' : 'left routing'}: pool drained`);
      }
      const name = (after ?? before)!.name;
      for (const fn of this.listeners) {
        try {
          fn(name);
        } catch (e) {
          this.logger.warn(`catalog change listener failed: ${(e as Error).message}`);
        }
      }
    }
  }

  /** Called with a client's name whenever its routing changes (connection, active/frozen, added, removed). */
  onChange(fn: (name: string) => void): void {
    this.listeners.push(fn);
  }

  /** The registry entry of a client (case-insensitive), or undefined. */
  lookup(name: string): CatalogEntry | undefined {
    return this.entries.get(name.toLowerCase());
  }

  /**
   * Resolves the `X-Athena-Client` header to a routable descriptor, or throws the reference's errors:
   * missing → 400 missing_client_header; malformed → 400 invalid_client; unknown → 404 invalid_client;
   * inactive → 403 client_inactive; frozen → 403 client_frozen; no URI → 503 client_unconfigured.
   */
  resolve(header: string | string[] | undefined): ClientDescriptor {
    const raw = firstValue(header, TRIM) ?? '';
    if (raw === '') {
      throw CatalogErrors.missingClientHeader(
        'Missing X-Athena-Client header',
        'X-Athena-Client header is required: name the client (database) to run this request on',
      );
    }
    const entry = this.entries.get(raw.toLowerCase());
    if (!entry) {
      if (!isValidClientName(raw)) throw invalidClientName('invalid_client', 'X-Athena-Client');
      throw CatalogErrors.invalidClient(
        'Unknown client',
        `No client named "${raw}" is registered; GET /health lists the configured clients`,
      );
    }
    if (!entry.active)
      throw CatalogErrors.clientInactive('Client is inactive', `Client "${entry.name}" is deactivated`);
    if (entry.frozen)
      throw CatalogErrors.clientFrozen(
        'Client is frozen',
        `Client "${entry.name}" is frozen: routing is temporarily disabled`,
      );
    if (!entry.descriptor) {
      throw CatalogErrors.clientUnconfigured(
        'Client has no connection configured',
        `Client "${entry.name}" has no connection URI (is its environment variable set?)`,
        undefined,
        { 'Retry-After': '30' },
      );
    }
    return entry.descriptor;
  }

  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }
}
