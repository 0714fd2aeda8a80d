import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { BatchedWriter } from '@athena/common';
import { ROOT_LOGGER } from '@athena/observability';
import { ApiKeysRepository, AuthLogRepository, AuthLogRow, CopySegment, authLogBuffer } from '@athena/store';
import { AuthMetrics } from './auth-metrics';

const FLUSH_MS = 250;
const BATCH = 500;
const MAX_BUFFERED = 20_000;
const LAST_USED_FLUSH_MS = 2000;
const MAX_TOUCHED = 50_000;

/**
 * Asynchronous, batched writes of `api_key_auth_log` rows (a BatchedWriter, like the gateway log writer: the
 * request path only pushes to memory; a bounded buffer drops and counts when the control plane cannot keep
 * up) and coalesced `last_used_at` updates.
 */
@Injectable()
export class AuthLogWriter implements BeforeApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly rows: BatchedWriter<AuthLogRow, CopySegment<null>>;
  private touched = new Set<string>();
  private touchTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly repo: AuthLogRepository,
    private readonly keys: ApiKeysRepository,
    private readonly metrics: AuthMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'auth-log-writer' });
    this.rows = new BatchedWriter<AuthLogRow, CopySegment<null>>({
      label: 'auth log',
      batchSize: BATCH,
      flushIntervalMs: FLUSH_MS,
      maxBuffered: MAX_BUFFERED,
      // Rows are encoded as COPY text when recorded, outside the JS heap (like the gateway logs).
      buffer: authLogBuffer(BATCH),
      write: (seg) => this.repo.writeAuthLogs(seg),
      ready: () => this.repo.available,
      onDrop: () => this.metrics.logDropped.inc(),
      onWriteFailed: () => this.metrics.logWriteFailures.inc({ write: 'auth_log' }),
      logger: this.logger,
    });
  }

  record(row: AuthLogRow): void {
    this.rows.push(row);
  }

  /** Marks a key as used; written at most every few seconds as one UPDATE for all keys used meanwhile. */
  touch(internalId: string): void {
    if (this.touched.size >= MAX_TOUCHED) return;
    this.touched.add(internalId);
    if (!this.touchTimer) {
      this.touchTimer = setTimeout(() => {
        this.touchTimer = null;
        void this.flushTouched();
      }, LAST_USED_FLUSH_MS);
      this.touchTimer.unref();
    }
  }

  /** Writes every row recorded so far (bounded), also when a timed flush is already running. */
  flush(): Promise<void> {
    return this.rows.drain();
  }

  async flushTouched(): Promise<void> {
    if (this.touched.size === 0 || !this.keys.available) return;
    const ids = [...this.touched];
    this.touched = new Set();
    try {
      await this.keys.touchLastUsed(ids);
    } catch (e) {
      this.metrics.logWriteFailures.inc({ write: 'last_used_at' });
      this.logger.warn(`updating last_used_at of ${ids.length} keys failed: ${(e as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.touchTimer) clearTimeout(this.touchTimer);
    await this.rows.close();
    await this.flushTouched();
  }
}
