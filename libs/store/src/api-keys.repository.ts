import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

import { AuthStore, rowsOf } from './auth-store';
import { StoreErrors } from './errors';

export { AUTH_CHANGED_CHANNEL } from './auth-store';

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

const RECORD_COLUMNS = `k.api_keys_id AS id, k.public_id, k.name, k.description, k.client_name, k.expires_at, k.is_active,
  k.last_used_at, k.created_at, k.updated_at,
  COALESCE(array_agg(r.name ORDER BY r.name) FILTER (WHERE r.name IS NOT NULL), '{}') AS rights`;
const RECORD_FROM = `api_keys k
  LEFT JOIN api_key_right_grants g ON g.api_key_id = k.id
  LEFT JOIN api_key_rights r ON r.id = g.right_id`;
const RIGHT_COLUMNS = 'api_key_rights_id AS id, name, description, created_at, updated_at';

/** API keys with their rights and grants (the key aggregate); writes notify AUTH_CHANGED_CHANNEL. */
@Injectable()
export class ApiKeysRepository {
  constructor(private readonly store: AuthStore) {}

  get available(): boolean {
    return this.store.available;
  }

  // ---- verification (hot path on cache miss) ----

  async findCredential(publicId: string): Promise<ApiKeyCredentialRow | null> {
    const rows: ApiKeyCredentialRow[] = await this.store.dataSource.query(
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
    await this.store.dataSource.query('UPDATE api_keys SET last_used_at = now() WHERE id = ANY($1::bigint[])', [
      internalIds,
    ]);
  }

  // ---- keys ----

  async listKeys(limit: number, offset: number): Promise<ApiKeyRecord[]> {
    return this.store.read(
      `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM} WHERE k.archived_at IS NULL
        GROUP BY k.id ORDER BY k.created_at, k.id LIMIT $1 OFFSET $2`,
      [limit, offset],
    );
  }

  async getKey(id: string, m?: EntityManager): Promise<ApiKeyRecord | null> {
    const rows: ApiKeyRecord[] = await (m ?? this.store.dataSource).query(
      `SELECT ${RECORD_COLUMNS} FROM ${RECORD_FROM} WHERE k.api_keys_id = $1 AND k.archived_at IS NULL GROUP BY k.id`,
      [id],
    );
    return rows[0] ?? null;
  }

  async createKey(k: NewApiKey): Promise<ApiKeyRecord> {
    return this.store.write('key', async (m) => {
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
    const dup: Array<{ public_id: string }> = await m.query('SELECT public_id FROM api_keys WHERE public_id = $1', [
      publicId,
    ]);
    if (dup.length > 0)
      throw StoreErrors.duplicatePublicId(
        'Duplicate public_id',
        'A key with this public id already exists; retry the request',
      );
    throw StoreErrors.duplicateApiKeyName(
      'Duplicate API key name',
      `An active key named "${name}" already exists; pick another name or archive that key`,
    );
  }

  /** Applies a patch; null when no live key has this id. */
  async updateKey(id: string, patch: ApiKeyPatch): Promise<ApiKeyRecord | null> {
    return this.store.write('key', async (m) => {
      const found: Array<{ id: string }> = await m.query(
        'SELECT id::text FROM api_keys WHERE api_keys_id = $1 AND archived_at IS NULL FOR UPDATE',
        [id],
      );
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
        await m.query(
          `UPDATE api_keys SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $${params.length}`,
          params,
        );
      } catch (e) {
        if ((e as { code?: string }).code === '23505') {
          throw StoreErrors.duplicateApiKeyName(
            'Duplicate API key name',
            `An active key named "${patch.name}" already exists; pick another name`,
          );
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
    return this.store.write('key', async (m) => {
      const rows = rowsOf<unknown>(
        await m.query(
          `UPDATE api_keys SET archived_at = now(), is_active = false, updated_at = now()
          WHERE api_keys_id = $1 AND archived_at IS NULL RETURNING id`,
          [id],
        ),
      );
      return rows.length > 0;
    });
  }

  // ---- rights ----

  async listRights(): Promise<ApiKeyRightRecord[]> {
    return this.store.read(`SELECT ${RIGHT_COLUMNS} FROM api_key_rights ORDER BY name LIMIT 10000`);
  }

  async createRight(name: string, description: string | null): Promise<ApiKeyRightRecord> {
    return this.store.write('right', async (m) => {
      const rows: ApiKeyRightRecord[] = await m.query(
        `INSERT INTO api_key_rights (name, description) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING ${RIGHT_COLUMNS}`,
        [name, description],
      );
      if (rows.length === 0)
        throw StoreErrors.duplicateRight('Duplicate right name', `A right named "${name}" already exists`);
      return rows[0];
    });
  }

  async updateRight(
    id: string,
    patch: { name?: string; description?: string | null },
  ): Promise<ApiKeyRightRecord | null> {
    return this.store.write('right', async (m) => {
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
        const rows = rowsOf<ApiKeyRightRecord>(
          await m.query(
            `UPDATE api_key_rights SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE api_key_rights_id = $${params.length} RETURNING ${RIGHT_COLUMNS}`,
            params,
          ),
        );
        return rows[0] ?? null;
      } catch (e) {
        if ((e as { code?: string }).code === '23505')
          throw StoreErrors.duplicateRight('Duplicate right name', `A right named "${patch.name}" already exists`);
        throw e;
      }
    });
  }

  /** Deletes a right and its grants; false when it does not exist. */
  async deleteRight(id: string): Promise<boolean> {
    return this.store.write('right', async (m) => {
      const rows = rowsOf<unknown>(
        await m.query('DELETE FROM api_key_rights WHERE api_key_rights_id = $1 RETURNING id', [id]),
      );
      return rows.length > 0;
    });
  }
}

/** Internal ids of the named rights; 400 naming every unknown one (nothing is written). */
async function resolveRights(m: EntityManager, names: string[]): Promise<string[]> {
  if (names.length === 0) return [];
  const unique = [...new Set(names)];
  const rows: Array<{ id: string; name: string }> = await m.query(
    'SELECT id::text, name FROM api_key_rights WHERE name = ANY($1::text[])',
    [unique],
  );
  if (rows.length !== unique.length) {
    const known = new Set(rows.map((r) => r.name));
    const unknown = unique.filter((n) => !known.has(n));
    throw StoreErrors.unknownRights(
      'Unknown rights',
      `These rights do not exist: ${unknown.join(', ')}; create them with POST /admin/api-key-rights first`,
      { unknown_rights: unknown },
    );
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
