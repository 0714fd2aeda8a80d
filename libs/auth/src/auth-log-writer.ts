import { Inject, BeforeApplicationShutdown, Injectable } from '@nestjs/common';
import { ApiKeysRepository, AuthLogRow } from '@athena/store';
import { AuthMetrics } from './auth-metrics';
import type { Logger as PinoLogger } from 'pino';
import { ROOT_LOGGER } from '@athena/observability';

const FLUSH_MS = 250;
const BATCH = 500;
const MAX_BUFFERED = 20_000;
const LAST_USED_FLUSH_MS = 2000;
const MAX_TOUCHED = 50_000;

/**
 * Asynchronous, batched writes of `api_key_auth_log` rows and coalesced `last_used_at` updates (same
 * pattern as the gateway log writer: the request path only pushes to memory; a bounded buffer drops and
 * counts when the control plane cannot keep up).
 */
@Injectable()
export class AuthLogWriter implements BeforeApplicationShutdown {
  private readonly logger: PinoLogger;
  private rows: AuthLogRow[] = [];
  private touched = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private touchTimer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failing = false;

  constructor(
    private readonly repo: ApiKeysRepository,
    private readonly metrics: AuthMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'auth-log-writer' });
  }

  record(row: AuthLogRow): void {
    if (this.rows.length >= MAX_BUFFERED) {
      this.metrics.logDropped.inc();
      return;
    }
    this.rows.push(row);
    if (this.rows.length >= BATCH) void this.flush();
    else if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, FLUSH_MS);
      this.timer.unref();
    }
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

  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.doFlush().finally(() => {
      this.flushing = null;
      if (this.rows.length > 0 && !this.timer) {
        this.timer = setTimeout(() => {
          this.timer = null;
          void this.flush();
        }, FLUSH_MS);
        this.timer.unref();
      }
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    if (!this.repo.available || this.rows.length === 0) return;
    const batch = this.rows.splice(0, BATCH);
    try {
      await this.repo.insertAuthLogs(batch);
      if (this.failing) this.logger.info('auth log writes recovered');
      this.failing = false;
    } catch (e) {
      this.metrics.logWriteFailures.inc({ write: 'auth_log' });
      if (!this.failing) this.logger.error(`writing ${batch.length} auth log rows failed: ${(e as Error).message}; dropping the batch`);
      this.failing = true;
    }
  }

  async flushTouched(): Promise<void> {
    if (this.touched.size === 0 || !this.repo.available) return;
    const ids = [...this.touched];
    this.touched = new Set();
    try {
      await this.repo.touchLastUsed(ids);
    } catch (e) {
      this.metrics.logWriteFailures.inc({ write: 'last_used_at' });
      this.logger.warn(`updating last_used_at of ${ids.length} keys failed: ${(e as Error).message}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.touchTimer) clearTimeout(this.touchTimer);
    for (let i = 0; i < 50 && this.rows.length > 0 && this.repo.available; i++) await this.flush();
    await this.flushTouched();
  }
}
