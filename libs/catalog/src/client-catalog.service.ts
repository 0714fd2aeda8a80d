import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { firstValue, invalidClientName, isValidClientName } from '@athena/common';

const TRIM = { trim: true } as const;
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import type { BackendKind, ClientDescriptor } from '@athena/drivers';
import { ROOT_LOGGER } from '@athena/observability';
import { ClientsRepository, ControlPlaneService } from '@athena/store';
import { CatalogErrors } from './errors';

export interface CatalogEntry {
  name: string;
  backend: BackendKind;
  source: 'config' | 'database';
  active: boolean;
  frozen: boolean;
  /** null when the URI (or its env var) is not set: the client is known but cannot route. */
  descriptor: ClientDescriptor | null;
}

/** Safety net for multi-instance catalog changes (LISTEN/NOTIFY comes with the admin routes). */
const RECONCILE_MS = 30_000;

/**
 * The client catalog: config.yaml clients plus `athena_clients` rows, held in memory. Resolution on the
 * request path is a Map lookup — the database is read at boot and on reconciliation only.
 */
@Injectable()
export class ClientCatalogService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private entries = new Map<string, CatalogEntry>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly controlPlane: ControlPlaneService,
    private readonly clients: ClientsRepository,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'client-catalog' });
    this.entries = this.configEntries();
  }

  async onApplicationBootstrap(): Promise<void> {
    this.controlPlane.onReady(async () => {
      await this.syncFromDatabase(true);
      this.timer = setInterval(() => void this.syncFromDatabase(false), RECONCILE_MS);
      this.timer.unref();
    });
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private configEntries(): Map<string, CatalogEntry> {
    const map = new Map<string, CatalogEntry>();
    for (const [name, uri] of Object.entries(this.config.postgres_clients)) {
      const readOnly = this.config.postgres_client_options?.[name]?.read_only === true;
      map.set(name.toLowerCase(), {
        name, backend: 'postgres', source: 'config', active: true, frozen: false,
        descriptor: uri ? { name, backend: 'postgres', uri, ...(readOnly ? { readOnly } : {}) } : null,
      });
    }
    for (const [name, sb] of Object.entries(this.config.supabase_clients ?? {})) {
      map.set(name.toLowerCase(), {
        name, backend: 'supabase', source: 'config', active: true, frozen: false,
        descriptor: sb.url && sb.key
          ? { name, backend: 'supabase', uri: sb.url, options: { key: sb.key, timeoutMs: sb.timeout_ms, schema: sb.schema } }
          : null,
      });
    }
    for (const [name, c] of Object.entries(this.config.scylla_clients ?? {})) {
      const fingerprint = `cql://${c.contact_points.join(',')}/${c.keyspace ?? ''}?dc=${c.local_data_center}`;
      map.set(name.toLowerCase(), {
        name, backend: 'scylla', source: 'config', active: true, frozen: false,
        descriptor: c.contact_points.length > 0 ? { name, backend: 'scylla', uri: fingerprint, options: c as unknown as Record<string, unknown> } : null,
      });
    }
    return map;
  }

  /** Seeds config clients into `athena_clients` (first run only) and merges the table's rows. */
  async syncFromDatabase(seed: boolean): Promise<void> {
    try {
      if (seed) {
        await this.clients.seedConfigClients(Object.keys(this.config.postgres_clients).map((name) => ({ name, template: null })));
      }
      if (!this.config.gateway.database_backed_client_loading) return;
      const rows = await this.clients.listActiveRows();
      const next = this.configEntries();
      for (const row of rows) {
        const key = row.clientName.toLowerCase();
        const fromConfig = next.get(key);
        if (fromConfig && fromConfig.backend !== 'postgres') continue; // athena_clients rows describe PostgreSQL clients
        const envUri = row.pgUriEnvVar ? process.env[row.pgUriEnvVar] : undefined;
        const uri = row.pgUri || envUri || fromConfig?.descriptor?.uri || null;
        next.set(key, {
          name: fromConfig?.name ?? row.clientName,
          backend: 'postgres',
          source: fromConfig ? 'config' : 'database',
          active: row.isActive,
          frozen: row.isFrozen,
          descriptor: uri
            ? { name: fromConfig?.name ?? row.clientName, backend: 'postgres', uri, ...(fromConfig?.descriptor?.readOnly ? { readOnly: true } : {}) }
            : null,
        });
      }
      this.entries = next;
    } catch (e) {
      this.logger.warn(`catalog sync failed, keeping the previous registry: ${(e as Error).message}`);
    }
  }

  /**
   * Resolves the `X-Athena-Client` header to a routable descriptor, or throws the reference's errors:
   * missing → 400 missing_client_header; malformed → 400 invalid_client; unknown → 404 invalid_client;
   * inactive → 403 client_inactive; frozen → 403 client_frozen; no URI → 503 client_unconfigured.
   */
  resolve(header: string | string[] | undefined): ClientDescriptor {
    const raw = firstValue(header, TRIM) ?? '';
    if (raw === '') {
      throw CatalogErrors.missingClientHeader('Missing X-Athena-Client header', 'X-Athena-Client header is required: name the client (database) to run this request on');
    }
    const entry = this.entries.get(raw.toLowerCase());
    if (!entry) {
      if (!isValidClientName(raw)) throw invalidClientName('invalid_client', 'X-Athena-Client');
      throw CatalogErrors.invalidClient('Unknown client', `No client named "${raw}" is registered; GET /health lists the configured clients`);
    }
    if (!entry.active) throw CatalogErrors.clientInactive('Client is inactive', `Client "${entry.name}" is deactivated`);
    if (entry.frozen) throw CatalogErrors.clientFrozen('Client is frozen', `Client "${entry.name}" is frozen: routing is temporarily disabled`);
    if (!entry.descriptor) {
      throw CatalogErrors.clientUnconfigured('Client has no connection configured', `Client "${entry.name}" has no connection URI (is its environment variable set?)`, undefined, { 'Retry-After': '30' });
    }
    return entry.descriptor;
  }

  list(): CatalogEntry[] {
    return [...this.entries.values()];
  }
}
