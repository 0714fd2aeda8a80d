import { Injectable } from '@nestjs/common';
import { AuthStore } from './auth-store';
import { copyIn } from './copy-in';
import type { CopySegment } from './copy-log-buffer';
import { AUTH_LOG_COLUMNS } from './log-copy';

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
