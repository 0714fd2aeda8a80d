import { Injectable } from '@nestjs/common';
import { AuthStore, rowsOf } from './auth-store';

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

/** API-key enforcement config: the global flag and per-client overrides; writes notify AUTH_CHANGED_CHANNEL. */
@Injectable()
export class ApiKeyEnforcementRepository {
  constructor(private readonly store: AuthStore) {}

  get available(): boolean {
    return this.store.available;
  }

  /** Effective-enforcement inputs in one round trip: the global flag and every per-client override. */
  async loadEnforcement(): Promise<{
    global: boolean;
    clients: Array<{ client_name: string; enforce_api_keys: boolean }>;
  }> {
    const rows: Array<{ client_name: string | null; enforce_api_keys: boolean }> = await this.store.dataSource.query(
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

  async getGlobalConfig(): Promise<ApiKeyGlobalConfig> {
    const rows = await this.store.read<ApiKeyGlobalConfig[]>(
      'SELECT enforce_api_keys, updated_at FROM api_key_config WHERE id = 1',
    );
    return rows[0] ?? { enforce_api_keys: false, updated_at: new Date(0) };
  }

  async setGlobalConfig(enforce: boolean): Promise<ApiKeyGlobalConfig> {
    return this.store.write('config', async (m) => {
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
    return this.store.read(
      'SELECT client_name, enforce_api_keys, created_at, updated_at FROM api_key_client_config ORDER BY client_name LIMIT 10000',
    );
  }

  async upsertClientConfig(clientName: string, enforce: boolean): Promise<ApiKeyClientConfig> {
    return this.store.write('config', async (m) => {
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
    return this.store.write('config', async (m) => {
      const rows = rowsOf<unknown>(
        await m.query('DELETE FROM api_key_client_config WHERE lower(client_name) = lower($1) RETURNING client_name', [
          clientName,
        ]),
      );
      return rows.length > 0;
    });
  }
}
