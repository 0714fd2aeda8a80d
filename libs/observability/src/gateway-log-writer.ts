import { BeforeApplicationShutdown, Inject, Injectable } from '@nestjs/common';
import type { Logger as PinoLogger } from 'pino';

import { BatchBuffer, BatchedWriter } from '@athena/common';
import {
  CopySegment,
  LogsRepository,
  OperationLogRow,
  OperationStats,
  RequestLogRow,
  RequestStats,
  operationLogBuffer,
  requestLogBuffer,
} from '@athena/store';
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
  private readonly requests: BatchedWriter<RequestLogRow, CopySegment<RequestStats>>;
  private readonly operations: BatchedWriter<OperationLogRow, CopySegment<OperationStats>>;

  constructor(
    private readonly repo: LogsRepository,
    private readonly metrics: MetricsService,
    @Inject(LOG_WRITER_OPTIONS) private readonly opts: LogWriterOptions,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'gateway-log-writer' });
    // Rows are encoded as COPY text when recorded, into buffers outside the JS heap (see CopyLogBuffer).
    this.requests = this.writer('request', requestLogBuffer(opts.batchSize), (seg) => this.repo.writeRequestLogs(seg));
    this.operations = this.writer('operation', operationLogBuffer(opts.batchSize), (seg) =>
      this.repo.writeOperationLogs(seg),
    );
  }

  private writer<T, B>(
    log: 'request' | 'operation',
    buffer: BatchBuffer<T, B>,
    write: (batch: B) => Promise<void>,
  ): BatchedWriter<T, B> {
    return new BatchedWriter<T, B>({
      label: `${log} log`,
      ...this.opts,
      buffer,
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
