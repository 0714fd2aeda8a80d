import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import { LogsRepository, OperationLogRow, RequestLogRow } from '@athena/store';
import { MetricsService } from './metrics.service';
import type { Logger as PinoLogger } from 'pino';
import { ROOT_LOGGER } from './trace';

export const LOG_WRITER_OPTIONS = Symbol.for('athena.logWriterOptions');
export interface LogWriterOptions {
  /** Flush at least this often. */
  flushIntervalMs: number;
  /** Flush as soon as this many rows are buffered; also the size of one INSERT. */
  batchSize: number;
  /** Hard cap per log; beyond it rows are dropped and counted (athena_gateway_log_dropped_total). */
  maxBuffered: number;
}
export const DEFAULT_LOG_WRITER_OPTIONS: LogWriterOptions = { flushIntervalMs: 250, batchSize: 500, maxBuffered: 20_000 };

/**
 * Asynchronous, batched writer of `gateway_request_log` / `gateway_operation_log`. `record*` only pushes
 * to an array (no I/O, no await on the request path); a timer flushes batches. A failing or absent
 * control plane never fails a request: rows wait (bounded) and are dropped with a metric when full.
 */
@Injectable()
export class GatewayLogWriter implements BeforeApplicationShutdown {
  private readonly logger: PinoLogger;
  private requests: RequestLogRow[] = [];
  private operations: OperationLogRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private failing = false;

  constructor(
    private readonly repo: LogsRepository,
    private readonly metrics: MetricsService,
    @Inject(LOG_WRITER_OPTIONS) private readonly opts: LogWriterOptions,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'gateway-log-writer' });
  }

  recordRequest(row: RequestLogRow): void {
    if (this.requests.length >= this.opts.maxBuffered) {
      this.metrics.logDropped.inc({ log: 'request' });
      return;
    }
    this.requests.push(row);
    this.schedule();
  }

  recordOperation(row: OperationLogRow): void {
    if (this.operations.length >= this.opts.maxBuffered) {
      this.metrics.logDropped.inc({ log: 'operation' });
      return;
    }
    this.operations.push(row);
    this.schedule();
  }

  private schedule(): void {
    if (this.requests.length >= this.opts.batchSize || this.operations.length >= this.opts.batchSize) {
      void this.flush();
      return;
    }
    if (!this.timer) {
      this.timer = setTimeout(() => {
        this.timer = null;
        void this.flush();
      }, this.opts.flushIntervalMs);
      this.timer.unref();
    }
  }

  /** Writes everything buffered so far (one batch per log per round). Safe to call concurrently. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing;
    this.flushing = this.doFlush().finally(() => {
      this.flushing = null;
      if (this.requests.length > 0 || this.operations.length > 0) this.schedule();
    });
    return this.flushing;
  }

  private async doFlush(): Promise<void> {
    if (!this.repo.available) return; // keep buffering (bounded) until the control plane is up
    const reqs = this.requests.splice(0, this.opts.batchSize);
    const ops = this.operations.splice(0, this.opts.batchSize);
    await Promise.all([
      this.write('request', reqs, (r) => this.repo.insertRequestLogs(r)),
      this.write('operation', ops, (r) => this.repo.insertOperationLogs(r)),
    ]);
  }

  private async write<T>(log: 'request' | 'operation', rows: T[], insert: (rows: T[]) => Promise<void>): Promise<void> {
    if (rows.length === 0) return;
    try {
      await insert(rows);
      this.metrics.logRowsWritten.inc({ log }, rows.length);
      if (this.failing) this.logger.info('log writes recovered');
      this.failing = false;
    } catch (e) {
      this.metrics.logWriteFailures.inc({ log });
      if (!this.failing) this.logger.error(`writing ${rows.length} ${log} log rows failed: ${(e as Error).message}; dropping the batch`);
      this.failing = true;
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    // Drain what is buffered (bounded by the batch loop) before the DataSource closes.
    for (let i = 0; i < 50 && (this.requests.length > 0 || this.operations.length > 0) && this.repo.available; i++) {
      await this.flush();
    }
  }
}
