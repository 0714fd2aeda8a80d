import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AthenaError } from '@athena/common';
import { ControlPlaneAccess, isUniqueViolation, rowsOf } from './control-plane-errors';
import { ControlPlaneEvents } from './control-plane-events';
import { ControlPlaneService } from './control-plane.service';
import { AthenaClientEntity } from './entities/athena-client.entity';
import { StoreErrors } from './errors';

/** NOTIFY channel for any change to `athena_clients` (payload: the lower-cased client name). */
export const CLIENTS_CHANGED_CHANNEL = 'athena_clients_changed';

/** A config.yaml client as synced into `athena_clients`. */
export interface ConfigClientSeed {
  name: string;
  /** The URI template as written (e.g. `${POSTGRES_ANALYTICS_URI}`); the resolved secret is not stored. */
  template: string | null;
  /** Backend of the config client (kept in `metadata.backend`; rows without it are PostgreSQL). */
  backend?: string;
}

/** One `athena_clients` row as the admin API reads it (`pg_uri` is a secret: redact before answering). */
export interface AthenaClientRow {
  id: string;
  client_name: string;
  description: string | null;
  pg_uri: string | null;
  pg_uri_env_var: string | null;
  config_uri_template: string | null;
  source: 'config' | 'database';
  is_active: boolean;
  is_frozen: boolean;
  last_synced_from_config_at: Date | null;
  last_seen_at: Date | null;
  metadata: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
  deleted_at: Date | null;
}

export interface NewClient {
  client_name: string;
  description: string | null;
  pg_uri: string | null;
  pg_uri_env_var: string | null;
  is_active: boolean;
}

/** Fields of a client update; `undefined` = leave as is, `null` = clear. */
export interface ClientPatch {
  description?: string | null;
  pg_uri?: string | null;
  pg_uri_env_var?: string | null;
  is_active?: boolean;
}

const PATCHABLE = ['description', 'pg_uri', 'pg_uri_env_var', 'is_active'] as const;

/**
 * The database-backed client catalog. Writes are transactional and publish CLIENTS_CHANGED_CHANNEL, so every
 * instance reloads its in-memory registry on commit.
 */
@Injectable()
export class ClientsRepository {
  private readonly access: ControlPlaneAccess;

  constructor(
    private readonly cp: ControlPlaneService,
    events: ControlPlaneEvents,
  ) {
    this.access = new ControlPlaneAccess(cp, events, 'Client catalog');
  }

  get available(): boolean {
    return this.cp.isReady;
  }

  /** Every row not soft-deleted. */
  async listActiveRows(): Promise<AthenaClientEntity[]> {
    return this.cp.dataSource
      .getRepository(AthenaClientEntity)
      .createQueryBuilder('c')
      .where('c.deleted_at IS NULL')
      .orderBy('c.client_name')
      .getMany();
  }

  /**
   * Registers config-only clients in `athena_clients` without duplicates (case-insensitive name match):
   * new names are inserted with source='config'; existing config rows get their sync timestamp refreshed.
   * Rows created through the API (source='database') are never overwritten.
   */
  async seedConfigClients(seeds: ConfigClientSeed[]): Promise<void> {
    if (seeds.length === 0) return;
    const rows = seeds.map((s) => ({
      name: s.name,
      template: s.template,
      metadata: s.backend && s.backend !== 'postgres' ? { backend: s.backend } : {},
    }));
    await this.cp.dataSource.query(
      `INSERT INTO athena_clients (client_name, config_uri_template, source, last_synced_from_config_at, metadata)
       SELECT s.name, s.template, 'config', now(), s.metadata
         FROM jsonb_to_recordset($1::jsonb) AS s(name text, template text, metadata jsonb)
       ON CONFLICT ((lower(client_name))) DO UPDATE
         SET last_synced_from_config_at = now(),
             config_uri_template = CASE WHEN athena_clients.source = 'config' THEN EXCLUDED.config_uri_template
                                        ELSE athena_clients.config_uri_template END,
             metadata = CASE WHEN athena_clients.source = 'config' THEN athena_clients.metadata || EXCLUDED.metadata
                             ELSE athena_clients.metadata END,
             updated_at = now()`,
      [JSON.stringify(rows)],
    );
  }

  // ---- admin ----

  listLive(): Promise<AthenaClientRow[]> {
    return this.access.read('SELECT * FROM athena_clients WHERE deleted_at IS NULL ORDER BY lower(client_name)');
  }

  async findLive(name: string): Promise<AthenaClientRow | null> {
    const rows = await this.access.read<AthenaClientRow[]>(
      'SELECT * FROM athena_clients WHERE lower(client_name) = lower($1) AND deleted_at IS NULL',
      [name],
    );
    return rows[0] ?? null;
  }

  /**
   * Inserts a database client, or revives a soft-deleted row of the same name (fresh fields, new created_at).
   * A live row of that name → 409 `duplicate_client`.
   */
  async create(c: NewClient): Promise<AthenaClientRow> {
    return this.access.write(CLIENTS_CHANGED_CHANNEL, c.client_name.toLowerCase(), async (m) => {
      const rows = rowsOf<AthenaClientRow>(
        await m.query(
          `INSERT INTO athena_clients (client_name, description, pg_uri, pg_uri_env_var, is_active, source)
         VALUES ($1, $2, $3, $4, $5, 'database')
         ON CONFLICT ((lower(client_name))) DO UPDATE
           SET client_name = EXCLUDED.client_name, description = EXCLUDED.description, pg_uri = EXCLUDED.pg_uri,
               pg_uri_env_var = EXCLUDED.pg_uri_env_var, is_active = EXCLUDED.is_active, is_frozen = false,
               source = 'database', config_uri_template = NULL, last_synced_from_config_at = NULL,
               metadata = '{}'::jsonb, created_at = now(), updated_at = now(), deleted_at = NULL
           WHERE athena_clients.deleted_at IS NOT NULL
         RETURNING *`,
          [c.client_name, c.description, c.pg_uri, c.pg_uri_env_var, c.is_active],
        ),
      );
      if (rows.length === 0) throw duplicate(c.client_name);
      return rows[0];
    });
  }

  /** Applies `patch` to a live row; null when there is none. */
  async update(name: string, patch: ClientPatch): Promise<AthenaClientRow | null> {
    const sets: string[] = [];
    const params: unknown[] = [name];
    for (const col of PATCHABLE) {
      if (patch[col] === undefined) continue;
      params.push(patch[col]);
      sets.push(`${col} = $${params.length}`);
    }
    sets.push('updated_at = now()');
    return this.liveUpdate(
      name,
      `UPDATE athena_clients SET ${sets.join(', ')}
      WHERE lower(client_name) = lower($1) AND deleted_at IS NULL RETURNING *`,
      params,
    );
  }

  setFrozen(name: string, frozen: boolean): Promise<AthenaClientRow | null> {
    return this.liveUpdate(
      name,
      `UPDATE athena_clients SET is_frozen = $2, updated_at = now()
      WHERE lower(client_name) = lower($1) AND deleted_at IS NULL RETURNING *`,
      [name, frozen],
    );
  }

  /** Soft delete (sets deleted_at); the row keeps its name reserved until recreated. */
  softDelete(name: string): Promise<AthenaClientRow | null> {
    return this.liveUpdate(
      name,
      `UPDATE athena_clients SET deleted_at = now(), updated_at = now()
      WHERE lower(client_name) = lower($1) AND deleted_at IS NULL RETURNING *`,
      [name],
    );
  }

  private liveUpdate(name: string, sql: string, params: unknown[]): Promise<AthenaClientRow | null> {
    return this.access.write(CLIENTS_CHANGED_CHANNEL, name.toLowerCase(), async (m: EntityManager) => {
      try {
        return rowsOf<AthenaClientRow>(await m.query(sql, params))[0] ?? null;
      } catch (e) {
        if (isUniqueViolation(e)) throw duplicate(name);
        throw e;
      }
    });
  }
}

function duplicate(name: string): AthenaError {
  return StoreErrors.duplicateClient(
    'Client already exists',
    `A client named "${name}" already exists (names are case-insensitive)`,
  );
}
