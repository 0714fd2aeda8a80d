import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AthenaError } from '@athena/common';
import { ControlPlaneEvents } from './control-plane-events';
import { ControlPlaneAccess, rowsOf } from './control-plane-errors';
import { ControlPlaneService } from './control-plane.service';

/** NOTIFY channel for any change to keys, rights, grants or enforcement config. */
export const AUTH_CHANGED_CHANNEL = 'athena_auth_changed';

/** `ApiKeyRecord` of the admin API (never the salt or the hash). */
export interface ApiKeyRecord {
  id: string;
  public_id: string;
  name: string;
  description: string | null;
  client_name: string | null;
  expires_at: Date | null;
  is_active: boolean;
  last_used_at: Date | null;
  created_at: Date;
  updated_at: Date;
  rights: string[];
}

/** What verification needs about one key (looked up by public id). */
export interface ApiKeyCredentialRow {
  internal_id: string;
  id: string;
  public_id: string;
  key_salt: string;
  key_hash: string;
  client_name: string | null;
  is_active: boolean;
  expires_at: Date | null;
  rights: string[];
}

export interface ApiKeyRightRecord {
  id: string;
  name: string;
  description: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface ApiKeyGlobalConfig {
  enforce_api_keys: boolean;
  updated_at: Date;
}

export interface ApiKeyClientConfig {
  client_name: string;
  enforce_api_keys: boolean;
  created_at: Date;
  updated_at: Date;
}

export interface NewApiKey {
  public_id: string;
  name: string;
  description: string | null;
  client_name: string | null;
  expires_at: Date | null;
  key_salt: string;
  key_hash: string;
  rights: string[];
}

/** Fields of a key update; `undefined` = leave as is, `null` = clear (nullable fields). */
export interface ApiKeyPatch {
  name?: string;
  description?: string | null;
  client_name?: string | null;
  expires_at?: Date | null;
  is_active?: boolean;
  rights?: string[];
}

/** One `api_key_auth_log` row as the writer produces it. */
export interface AuthLogRow {
  /** Epoch milliseconds (cheaper on the request path than an ISO string; converted in SQL). */
  created_at: number;
  request_id: string | null;
  api_key_id: string | null;
  presented_public_id: string | null;
  presented_hash_prefix: string | null;
  key_source: string | null;
  credential: 'api_key' | 'admin_key' | 'none';
  client_name: string | null;
  method: string;
  path: string;
  ipv4: string | null;
  user_agent: string | null;
  enforced: boolean;
  authenticated: boolean;
  authorized: boolean;
  required_rights: string[] | null;
  granted_rights: string[] | null;
  outcome: string;
  reason: string | null;
}

const RECORD_COLUMNS = `k.api_keys_id AS id, k.public_id, k.name, k.description, k.client_name, k.expires_at, k.is_active,
  k.last_used_at, k.created_at, k.updated_at,
  COALESCE(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS rights`;
const RECORD_FROM = `api_keys k
  LEFT JOIN api_key_right_grants g ON g.api_key_id = k.id
  LEFT JOIN api_key_rights r ON r.id = g.right_id`;
const RIGHT_COLUMNS = 'api_key_rights_id AS id, name, description, created_at, updated_at';

/**
 * Keys, rights, grants and enforcement config in the control plane. Every write runs in one transaction
 * (nothing half-written), publishes AUTH_CHANGED_CHANNEL with pg_notify (delivered to every instance on
 * commit) and then notifies this instance's subscribers directly.
 */
@Injectable()
export class ApiKeysRepository {
  private readonly access: ControlPlaneAccess;

  constructor(
    private readonly cp: ControlPlaneService,
    events: ControlPlaneEvents,
  ) {
    this.access = new ControlPlaneAccess(cp, events, 'Auth store');
  }

  get available(): boolean {
    return this.cp.isReady;
  }

  private write<T>(what: string, fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.access.write(AUTH_CHANGED_CHANNEL, what, fn);
  }

  /** Admin reads: 503 (not 500) when the control plane is unreachable. */
  private read<T>(sql: string, params?: unknown[]): Promise<T> {
    return this.access.read<T>(sql, params);
  }

  // ---- verification (hot path on cache miss) ----

  async findCredential(publicId: string): Promise<ApiKeyCredentialRow | null> {
    const rows: ApiKeyCredentialRow[] = await this.cp.dataSource.query(
      `SELECT k.id::text AS internal_id, k.api_keys_id AS id, k.public_id, k.key_salt, k.key_hash, k.client_name,
              k.is_active, k.expires_at,
              COALESCE(array_agg(r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS rights
         FROM ${RECORD_FROM}
        WHERE k.public_id = $1 AND k.archived_at IS NULL
        GROUP BY k.id`,
      [publicId],
    );
    return rows[0] ?? null;
  }

  /** Coalesced `last_used_at` update for a set of internal key ids. */
  async touchLastUsed(internalIds: string[]): Promise<void> {
    if (internalIds.length === 0) return;
    await this.cp.dataSource.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1::bigint[])', [internalIds]);
  }

  /** Effective-enforcement inputs in one round trip: the global flag and every per-client override. */
  async loadEnforcement(): Promise<{ global: boolean; clients: Array<{ client_name: string; enforce_api_keys: boolean }> }> {
    const rows: Array<{ client_name: string | null; enforce_api_keys: boolean }> = await this.cp.dataSource.query(
      `SELECT NULL::text AS client_name, enforce_api_keys FROM api_key_config WHERE id = 1
       UNION ALL SELECT client_name, enforce_api_keys FROM api_key_client_config`,
    );
    let global = false;
    const clients: Array<{ client_name: string; enforce_api_keys: boolean }> = [];
    for (const r of rows) {
      if (r.client_name === null) global = r.enforce_api_keys;
      else clients.push({ client_name: r.client_name, enforce_api_keys: r.enforce_api_keys });
    }
    return { global, clients };
  }

  async insertAuthLogs(rows: AuthLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.cp.dataSource.query(
      `INSERT INTO api_key_auth_log
         (created_at, request_id, api_key_id, presented_public_id, presented_hash_prefix, key_source, credential,
          client_name, method, path, ipv4, user_agent, enforced, authenticated, authorized, required_rights,
          granted_rights, outcome, reason)
       SELECT to_timestamp(created_at / 1000.0), request_id, api_key_id, presented_public_id, presented_hash_prefix, key_source, credential,
              client_name, method, path, ipv4, user_agent, enforced, authenticated, authorized, required_rights,
              granted_rights, outcome, reason
         FROM jsonb_to_recordset($1::jsonb) AS r(
           created_at double precision, request_id text, api_key_id uuid, presented_public_id text,
           presented_hash_prefix text, key_source text, credential text, client_name text, method text, path text,
           ipv4 text, user_agent text, enforced boolean, authenticated boolean, authorized boolean,
           required_rights text[], granted_rights text[], outcome text, reason text)`,
      [JSON.stringify(rows)],
    );
  }

  // ---- keys ----

  async listKeys(limit: number, offset: number): Promise<ApiKeyRecord[]> {
    return this.read(
      `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM} WHERE k.archived_at IS NULL
        GROUP BY k.id ORDER BY k.created_at, k.id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
  }

  async getKey(id: string, m?: EntityManager): Promise<ApiKeyRecord | null> {
    const rows: ApiKeyRecord[] = await (m ?? this.cp.dataSource).query(
      `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM} WHERE k.api_keys_id = $1 AND k.archived_at IS NULL GROUP BY k.id`,
      [id],
    );
    return rows[0] ?? null;
  }

  async createKey(k: NewApiKey): Promise<ApiKeyRecord> {
    return this.write('key', async (m) => {
      const rightIds = await resolveRights(m, k.rights);
      const inserted: Array<{ id: string; api_keys_id: string }> = await m.query(
        `INSERT INTO api_keys (public_id, name, description, client_name, key_salt, key_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT DO NOTHING
         RETURNING id::text, api_keys_id`,
        [k.public_id, k.name, k.description, k.client_name, k.key_salt, k.key_hash, k.expires_at],
      );
      if (inserted.length === 0) await this.keyConflict(m, k.public_id, k.name);
      await grant(m, inserted[0].id, rightIds);
      return (await this.getKey(inserted[0].api_keys_id, m))!;
    });
  }

  private async keyConflict(m: EntityManager, publicId: string, name: string): Promise<never> {
    const dup: Array<{ public_id: string }> = await m.query('SELECT public_id FROM api_keys WHERE public_id = $1', [publicId]);
    if (dup.length > 0) throw new AthenaError(409, 'duplicate_public_id', 'Duplicate public_id', 'A key with this public id already exists; retry the request');
    throw new AthenaError(409, 'duplicate_api_key_name', 'Duplicate API key name', `An active key named "${name}" already exists; pick another name or archive that key`);
  }

  /** Applies a patch; null when no live key has this id. */
  async updateKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null> {
    return this.write('key', async (m) => {
      const found: Array<{ id: string }> = await m.query('SELECT id::text FROM api_keys WHERE api_keys_id = $1 AND archived_at IS NULL FOR UPDATE', [id]);
      if (found.length === 0) return null;
      const internal = found[0].id;
      const rightIds = patch.rights !== undefined ? await resolveRights(m, patch.rights) : null;
      const sets: string[] = [];
      const params: unknown[] = [];
      for (const col of ['name', 'description', 'client_name', 'expires_at', 'is_active'] as const) {
        if (patch[col] !== undefined) {
          params.push(patch[col]);
          sets.push(`${col} = $${params.length}`);
        }
      }
      params.push(internal);
      try {
        await m.query(`UPDATE api_keys SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $${params.length}`, params);
      } catch (e) {
        if ((e as { code?: string }).code === '23505') {
          throw new AthenaError(409, 'duplicate_api_key_name', 'Duplicate API key name', `An active key named "${patch.name}" already exists; pick another name`);
        }
        throw e;
      }
      if (rightIds) {
        await m.query('DELETE FROM api_key_right_grants WHERE api_key_id = $1', [internal]);
        await grant(m, internal, rightIds);
      }
      return this.getKey(id, m);
    });
  }

  /** Archives a key (it stops authenticating at once); false when no live key has this id. */
  async archiveKey(id: string): Promise<boolean> {
    return this.write('key', async (m) => {
      const rows = rowsOf<unknown>(await m.query(
        `UPDATE api_keys SET archived_at = now(), is_active = false, updated_at = now()
          WHERE api_keys_id = $1 AND archived_at IS NULL RETURNING id`,
        [id],
      ));
      return rows.length > 0;
    });
  }

  // ---- rights ----

  async listRights(): Promise<ApiKeyRightRecord[]> {
    return this.read(`SELECT ${RIGHT_COLUMNS} FROM api_key_rights ORDER BY name LIMIT 10000`);
  }

  async createRight(name: string, description: string | null): Promise<ApiKeyRightRecord> {
    return this.write('right', async (m) => {
      const rows: ApiKeyRightRecord[] = await m.query(
        `INSERT INTO api_key_rights (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING ${RIGHT_COLUMNS}`,
        [name, description],
      );
      if (rows.length === 0) throw new AthenaError(409, 'duplicate_right', 'Duplicate right name', `A right named "${name}" already exists`);
      return rows[0];
    });
  }

  async updateRight(id: string, patch: { name?: string; description?: string | null }): Promise<ApiKeyRightRecord | null> {
    return this.write('right', async (m) => {
      const sets: string[] = [];
      const params: unknown[] = [];
      if (patch.name !== undefined) {
        params.push(patch.name);
        sets.push(`name = $${params.length}`);
      }
      if (patch.description !== undefined) {
        params.push(patch.description);
        sets.push(`description = $${params.length}`);
      }
      params.push(id);
      try {
        const rows = rowsOf<ApiKeyRightRecord>(await m.query(
          `UPDATE api_key_rights SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE api_key_rights_id = $${params.length} RETURNING ${RIGHT_COLUMNS}`,
          params,
        ));
        return rows[0] ?? null;
      } catch (e) {
        if ((e as { code?: string }).code === '23505') throw new AthenaError(409, 'duplicate_right', 'Duplicate right name', `A right named "${patch.name}" already exists`);
        throw e;
      }
    });
  }

  /** Deletes a right and its grants; false when it does not exist. */
  async deleteRight(id: string): Promise<boolean> {
    return this.write('right', async (m) => {
      const rows = rowsOf<unknown>(await m.query('DELETE FROM api_key_rights WHERE api_key_rights_id = $1 RETURNING id', [id]));
      return rows.length > 0;
    });
  }

  // ---- enforcement config ----

  async getGlobalConfig(): Promise<ApiKeyGlobalConfig> {
    const rows = await this.read<ApiKeyGlobalConfig[]>('SELECT enforce_api_keys, updated_at FROM api_key_config WHERE id = 1');
    return rows[0] ?? { enforce_api_keys: false, updated_at: new Date(0) };
  }

  async setGlobalConfig(enforce: boolean): Promise<ApiKeyGlobalConfig> {
    return this.write('config', async (m) => {
      const rows: ApiKeyGlobalConfig[] = await m.query(
        `INSERT INTO api_key_config (id, enforce_api_keys, updated_at) VALUES (1, $1, now())
         ON CONFLICT (id) DO UPDATE SET enforce_api_keys = EXCLUDED.enforce_api_keys, updated_at = now()
         RETURNING enforce_api_keys, updated_at`,
        [enforce],
      );
      return rows[0];
    });
  }

  async listClientConfigs(): Promise<ApiKeyClientConfig[]> {
    return this.read('SELECT client_name, enforce_api_keys, created_at, updated_at FROM api_key_client_config ORDER BY client_name LIMIT 10000');
  }

  async upsertClientConfig(clientName: string, enforce: boolean): Promise<ApiKeyClientConfig> {
    return this.write('config', async (m) => {
      const rows: ApiKeyClientConfig[] = await m.query(
        `INSERT INTO api_key_client_config (client_name, enforce_api_keys) VALUES ($1, $2)
         ON CONFLICT ((lower(client_name))) DO UPDATE SET enforce_api_keys = EXCLUDED.enforce_api_keys, updated_at = now()
         RETURNING client_name, enforce_api_keys, created_at, updated_at`,
        [clientName, enforce],
      );
      return rows[0];
    });
  }

  async deleteClientConfig(clientName: string): Promise<boolean> {
    return this.write('config', async (m) => {
      const rows = rowsOf<unknown>(await m.query('DELETE FROM api_key_client_config WHERE lower(client_name) = lower($1) RETURNING client_name', [clientName]));
      return rows.length > 0;
    });
  }
}

/** Internal ids of the named rights; 400 naming every unknown one (nothing is written). */
async function resolveRights(m: EntityManager, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const unique = [...new Set(names)];
  const rows: Array<{ id: string; name: string }> = await m.query('SELECT id::text, name FROM api_key_rights WHERE name = ANY($1::text[])', [unique]);
  if (rows.length !== unique.length) {
    const known = new Set(rows.map((r) => r.name));
    const unknown = unique.filter((n) => !known.has(n));
    throw AthenaError.badRequest('unknown_rights', 'Unknown rights', `These rights do not exist: ${unknown.join(', ')}; create them with POST /admin/api-key-rights first`, { unknown_rights: unknown });
  }
  return rows.map((r) => r.id);
}

async function grant(m: EntityManager, keyId: string, rightIds: string[]): Promise<void> {
  if (rightIds.length === 0) return;
  await m.query(
    'INSERT INTO api_key_right_grants (api_key_id, right_id) SELECT $1::bigint, unnest($2::bigint[]) ON CONFLICT DO NOTHING',
    [keyId, rightIds],
  );
}
