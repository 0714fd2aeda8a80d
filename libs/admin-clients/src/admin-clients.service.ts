import { Injectable, OnModuleInit } from '@nestjs/common';
import { ResponseCacheService } from '@athena/cache';
import { AthenaError } from '@athena/common';
import { CatalogEntry, ClientCatalogService } from '@athena/catalog';
import { CUSTOM_SUPABASE, DriverRegistry } from '@athena/drivers';
import { ok, SuccessEnvelope } from '@athena/http';
import { AthenaClientRow, ClientPatch, ClientsRepository } from '@athena/store';
import { redactUri, requireOneUriSource, requirePgUri } from './client-uri';
import type { CreateClientDto, UpdateClientDto } from './dto/admin-clients.dto';
import { AdminClientsErrors } from './errors';

export type ClientStatus = 'routable' | 'frozen' | 'inactive' | 'unavailable';

/** One row of `GET /router/registry`: the live routing table of this instance. */
export interface RegistryRow {
  client_name: string;
  backend: string;
  source: 'config' | 'database';
  is_active: boolean;
  is_frozen: boolean;
  status: ClientStatus;
  reason: string | null;
  connection_source: CatalogEntry['uriSource'];
  pool: { open: boolean; total: number; idle: number; waiting: number };
}

function blankToNull(v: string | null | undefined): string | null | undefined {
  if (v === undefined || v === null) return v;
  const t = v.trim();
  return t === '' ? null : t;
}

/** The admin view of a row: the URI password-redacted. */
export function clientRecord(row: AthenaClientRow): AthenaClientRow {
  return { ...row, pg_uri: redactUri(row.pg_uri) };
}

export function statusOf(e: CatalogEntry): { status: ClientStatus; reason: string | null } {
  if (!e.active) return { status: 'inactive', reason: 'deactivated (is_active = false)' };
  if (e.frozen) return { status: 'frozen', reason: 'frozen: routing temporarily disabled' };
  if (!e.descriptor) {
    return {
      status: 'unavailable',
      reason: e.envVar ? `environment variable ${e.envVar} is not set on this instance` : 'no connection configured',
    };
  }
  return { status: 'routable', reason: null };
}

function notFound(name: string): AthenaError {
  return AdminClientsErrors.clientNotFound('Athena client not found', `No client named "${name}" is registered`);
}

/**
 * Admin use cases of the client catalog. Writes go to `athena_clients` (one transaction + NOTIFY); this
 * instance reloads its registry before answering, the others on the notification (pools drain/rebuild there).
 */
@Injectable()
export class AdminClientsService implements OnModuleInit {
  constructor(
    private readonly repo: ClientsRepository,
    private readonly catalog: ClientCatalogService,
    private readonly drivers: DriverRegistry,
    private readonly cache: ResponseCacheService,
  ) {}

  onModuleInit(): void {
    // A client whose routing changed (new database, frozen, deleted, …) must not answer from cached reads.
    this.catalog.onChange((name) => void this.cache.invalidate(name, null).catch(() => undefined));
  }

  async list(): Promise<SuccessEnvelope> {
    const rows = await this.repo.listLive();
    const byName = new Map(rows.map((r) => [r.client_name.toLowerCase(), r]));
    const runtime = this.catalog.list().map((e) => {
      const row = byName.get(e.name.toLowerCase());
      return {
        client_name: e.name,
        backend: e.backend,
        source: e.source,
        description: row?.description ?? null,
        pg_uri: e.backend === 'postgres' ? redactUri(e.descriptor?.uri) : null,
        pg_uri_env_var: row?.pg_uri_env_var ?? null,
        config_uri_template: row?.config_uri_template ?? null,
        is_active: e.active,
        is_frozen: e.frozen,
        pool_connected: this.drivers.poolStats(e.name) !== null,
      };
    });
    return ok(`${rows.length} ${rows.length === 1 ? 'client' : 'clients'}`, {
      clients: rows.map(clientRecord),
      runtime,
    });
  }

  async create(dto: CreateClientDto): Promise<SuccessEnvelope> {
    const name = dto.client_name.trim();
    const source = requireOneUriSource(dto.pg_uri, dto.pg_uri_env_var);
    const pgUri = source === 'pg_uri' ? requirePgUri('pg_uri', dto.pg_uri!) : null;
    const envVar = source === 'pg_uri_env_var' ? dto.pg_uri_env_var!.trim() : null;
    if (envVar && process.env[envVar]) requirePgUri('pg_uri_env_var', process.env[envVar]!);
    if (name.toLowerCase() === CUSTOM_SUPABASE) {
      throw AdminClientsErrors.duplicateClient(
        'Client name is reserved',
        `"${CUSTOM_SUPABASE}" is reserved for per-request Supabase targets`,
      );
    }
    const existing = this.catalog.lookup(name);
    if (existing) {
      throw AdminClientsErrors.duplicateClient(
        'Client already exists',
        `A client named "${existing.name}" already exists (${existing.source === 'config' ? 'in config.yaml' : 'in the catalog'}; names are case-insensitive)`,
      );
    }
    const row = await this.repo.create({
      client_name: name,
      description: blankToNull(dto.description) ?? null,
      pg_uri: pgUri,
      pg_uri_env_var: envVar,
      is_active: dto.is_active ?? true,
    });
    await this.catalog.refresh();
    return ok(
      `Client ${row.client_name} created${envVar && !process.env[envVar] ? `; ${envVar} is not set, so it is unavailable until it is` : ''}`,
      { client: clientRecord(row) },
    );
  }

  async update(pathName: string, dto: UpdateClientDto): Promise<SuccessEnvelope> {
    const current = await this.repo.findLive(pathName);
    if (!current) throw notFound(pathName);
    const entry = this.catalog.lookup(current.client_name);
    const patch: ClientPatch = {
      description: dto.description === undefined ? undefined : blankToNull(dto.description),
      is_active: dto.is_active ?? undefined,
    };
    const pgUri = blankToNull(dto.pg_uri);
    const envVar = blankToNull(dto.pg_uri_env_var);
    if (pgUri !== undefined || envVar !== undefined) {
      if (entry && entry.backend !== 'postgres') {
        throw AdminClientsErrors.unsupportedBackend(
          'Connection not editable',
          `"${entry.name}" is a ${entry.backend} client: its connection comes from config.yaml`,
        );
      }
      if (pgUri && envVar) requireOneUriSource(pgUri, envVar);
      if (pgUri) Object.assign(patch, { pg_uri: requirePgUri('pg_uri', pgUri), pg_uri_env_var: null });
      else if (envVar) {
        if (process.env[envVar]) requirePgUri('pg_uri_env_var', process.env[envVar]!);
        Object.assign(patch, { pg_uri_env_var: envVar, pg_uri: null });
      } else {
        // Clearing: a database client must keep one URI source; a config client falls back to config.yaml.
        const keepsUri = (pgUri === undefined && current.pg_uri) || (envVar === undefined && current.pg_uri_env_var);
        if (current.source === 'database' && !keepsUri) requireOneUriSource(null, null);
        if (pgUri === null) patch.pg_uri = null;
        if (envVar === null) patch.pg_uri_env_var = null;
      }
    }
    const row = await this.repo.update(current.client_name, patch);
    if (!row) throw notFound(pathName);
    await this.catalog.refresh();
    return ok(`Client ${row.client_name} updated`, { client: clientRecord(row) });
  }

  async freeze(name: string, frozen: boolean): Promise<SuccessEnvelope> {
    const row = await this.repo.setFrozen(name, frozen);
    if (!row) throw notFound(name);
    await this.catalog.refresh();
    return ok(
      `Client ${row.client_name} ${frozen ? 'frozen: requests are refused and its pool is drained' : 'unfrozen'}`,
      { client: clientRecord(row) },
    );
  }

  async remove(name: string): Promise<SuccessEnvelope> {
    const current = await this.repo.findLive(name);
    if (!current) throw notFound(name);
    if (current.source === 'config' && this.catalog.lookup(name)?.source === 'config') {
      throw AdminClientsErrors.configClient(
        'Client is declared in config.yaml',
        `"${current.client_name}" comes from config.yaml: remove it there, or deactivate/freeze it here`,
      );
    }
    const row = await this.repo.softDelete(current.client_name);
    if (!row) throw notFound(name);
    await this.catalog.refresh();
    return ok(`Client ${row.client_name} deleted`, { client: clientRecord(row) });
  }

  /** Registered names (frozen and inactive included; soft-deleted excluded). */
  names(): SuccessEnvelope {
    const clients = this.catalog
      .list()
      .map((e) => e.name)
      .sort((a, b) => a.localeCompare(b));
    return ok(`${clients.length} ${clients.length === 1 ? 'client' : 'clients'}`, { clients });
  }

  registry(): RegistryRow[] {
    return this.catalog
      .list()
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((e) => {
        const pool = this.drivers.poolStats(e.name);
        return {
          client_name: e.name,
          backend: e.backend,
          source: e.source,
          is_active: e.active,
          is_frozen: e.frozen,
          ...statusOf(e),
          connection_source: e.uriSource,
          pool: pool ? { open: true, ...pool } : { open: false, total: 0, idle: 0, waiting: 0 },
        };
      });
  }
}
