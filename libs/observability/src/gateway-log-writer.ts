import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { BatchedWriter } from '@athena/common';
import { LogsRepository, OperationLogRow, RequestLogRow } from '@athena/store';
import { MetricsService } from './metrics.service';
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
export const DEFAULT_LOG_WRITER_OPTIONS: LogWriterOptions = {
  flushIntervalMs: 250,
  batchSize: 500,
  maxBuffered: 20_000,
};

/**
 * Asynchronous, batched writer of `gateway_request_log` / `gateway_operation_log` (one BatchedWriter per log).
 * `record*` only pushes to memory (no I/O, no await on the request path). A failing or absent control plane
 * never fails a request: rows wait (bounded) and are dropped with a metric when full.
 */
@Injectable()
export class GatewayLogWriter implements BeforeApplicationShutdown {
  private readonly logger: PinoLogger;
  private readonly requests: BatchedWriter<RequestLogRow>;
  private readonly operations: BatchedWriter<OperationLogRow>;

  constructor(
    private readonly repo: LogsRepository,
    private readonly metrics: MetricsService,
    @Inject(LOG_WRITER_OPTIONS) private readonly opts: LogWriterOptions,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'gateway-log-writer' });
    this.requests = this.writer('request', (rows) => this.repo.insertRequestLogs(rows));
    this.operations = this.writer('operation', (rows) => this.repo.insertOperationLogs(rows));
  }

  private writer<T>(log: 'request' | 'operation', write: (rows: T[]) => Promise<void>): BatchedWriter<T> {
    return new BatchedWriter<T>({
      label: `${log} log`,
      ...this.opts,
      write,
      ready: () => this.repo.available, // keep buffering (bounded) until the control plane is up
      onDrop: () => this.metrics.logDropped.inc({ log }),
      onWritten: (n) => this.metrics.logRowsWritten.inc({ log }, n),
      onWriteFailed: () => this.metrics.logWriteFailures.inc({ log }),
      logger: this.logger,
    });
  }

  recordRequest(row: RequestLogRow): void {
    this.requests.push(row);
  }

  recordOperation(row: OperationLogRow): void {
    this.operations.push(row);
  }

  /** Writes every row recorded so far (bounded), also when a timed flush is already running. */
  async flush(): Promise<void> {
    await Promise.all([this.requests.drain(), this.operations.drain()]);
  }

  async beforeApplicationShutdown(): Promise<void> {
    // Drain what is buffered (bounded) before the DataSource closes.
    await Promise.all([this.requests.close(), this.operations.close()]);
  }
}
