import { Injectable } from '@nestjs/common';
import { AuthStore } from './auth-store';
import { copyIn } from './copy-in';
import type { CopySegment } from './copy-log-buffer';
import { AUTH_LOG_COLUMNS } from './log-copy';

/** One `api_key_auth_log` row as the writer produces it. */
export interface AuthLogRow {
  /** Epoch milliseconds (written as an ISO timestamp when the row is encoded). */
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

/** Batched writes of `api_key_auth_log` (called by the auth-log writer, off the request path). */
@Injectable()
export class AuthLogRepository {
  constructor(private readonly store: AuthStore) {}

  get available(): boolean {
    return this.store.available;
  }

  /** Writes one batch of auth-log rows (a CopyLogBuffer segment, encoded when recorded) with one COPY. */
  async writeAuthLogs(seg: CopySegment<null>): Promise<void> {
    if (seg.rows === 0) return;
    await copyIn(this.store.dataSource, AUTH_LOG_COPY, seg.text);
  }
}

const AUTH_LOG_COPY = `COPY api_key_auth_log (${AUTH_LOG_COLUMNS.join(', ')}) FROM STDIN`;
