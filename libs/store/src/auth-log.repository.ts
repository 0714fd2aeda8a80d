import { Injectable } from '@nestjs/common';
import { AuthStore } from './auth-store';

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

/** Batched inserts into `api_key_auth_log` (called by the auth-log writer, off the request path). */
@Injectable()
export class AuthLogRepository {
  constructor(private readonly store: AuthStore) {}

  get available(): boolean {
    return this.store.available;
  }

  async insertAuthLogs(rows: AuthLogRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.store.dataSource.query(
      `INSERT INTO api_key_auth_log
         (created_at, request_id, api_key_id, presented_public_id, presented_hash_prefix, key_source, credential,
          client_name, method, path, ipv4, user_agent, enforced, authenticated, authorized, required_rights,
          granted_rights, outcome, reason)
       SELECT to_timestamp(created_at / 1000.0), request_id, api_key_id, presented_public_id, presented_hash_prefix, key_source, credential,
              client_name, method, path, ipv4, user_agent, enforced, authenticated, authorized, required_rights,
              granted_rights, outcome, reason
         FROM json_to_recordset($1::json) AS r(
           created_at double precision, request_id text, api_key_id uuid, presented_public_id text,
           presented_hash_prefix text, key_source text, credential text, client_name text, method text, path text,
           ipv4 text, user_agent text, enforced boolean, authenticated boolean, authorized boolean,
           required_rights text[], granted_rights text[], outcome text, reason text)`,
      [JSON.stringify(rows)],
    );
  }
}
