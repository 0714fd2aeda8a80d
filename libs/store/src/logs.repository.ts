import { Injectable } from '@nestjs/common';
import { ControlPlaneService } from './control-plane.service';
import { OPERATION_STATS_UPSERT, REQUEST_STATS_UPSERT } from './client-statistics.repository';
import { copyIn } from './copy-in';
import type { CopySegment } from './copy-log-buffer';
import { OPERATION_LOG_COLUMNS, OperationStats, REQUEST_LOG_COLUMNS, RequestStats } from './log-copy';

/**
 * Bulk writes of the gateway logs: one transaction per batch on one pooled connection — `COPY … FROM STDIN`
 * (text format) of the rows, encoded when they were recorded (CopyLogBuffer), then one statement adding the
 * batch's counts to the client statistics (no per-request write). COPY costs PostgreSQL about a third less CPU
 * per row than an INSERT expanding a json parameter (`json_to_recordset`): 25–29 → 18–24 µs per request +
 * operation row pair (bench/README.md, "Issue 15, third round").
 */
@Injectable()
export class LogsRepository {
  constructor(private readonly cp: ControlPlaneService) {}

  get available(): boolean {
    return this.cp.isReady;
  }

  /** Writes one batch of request-log rows (a CopyLogBuffer segment) and adds its counts to `client_statistics`. */
  async writeRequestLogs(seg: CopySegment<RequestStats>): Promise<void> {
    if (seg.rows === 0) return;
    const s = seg.stats;
    await copyIn(
      this.cp.dataSource,
      REQUEST_COPY,
      seg.text,
      s.client.length === 0
        ? null
        : { sql: REQUEST_STATS_UPSERT, params: [s.client, s.total, s.ok, s.failed, s.cached, s.last] },
    );
  }

  /** Writes one batch of operation-log rows and adds its counts to the per-client and per-table statistics. */
  async writeOperationLogs(seg: CopySegment<OperationStats>): Promise<void> {
    if (seg.rows === 0) return;
    const { clients: c, tables: t } = seg.stats;
    await copyIn(
      this.cp.dataSource,
      OPERATION_COPY,
      seg.text,
      c.client.length === 0
        ? null
        : {
            sql: OPERATION_STATS_UPSERT,
            params: [c.client, c.total, c.last, t.client, t.table, t.operation, t.total, t.errors, t.last],
          },
    );
  }
}

const REQUEST_COPY = `COPY gateway_request_log (${REQUEST_LOG_COLUMNS.join(', ')}) FROM STDIN`;
const OPERATION_COPY = `COPY gateway_operation_log (${OPERATION_LOG_COLUMNS.join(', ')}) FROM STDIN`;
