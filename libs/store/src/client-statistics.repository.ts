import { Injectable } from '@nestjs/common';
import { ControlPlaneAccess } from './control-plane-errors';
import { ControlPlaneEvents } from './control-plane-events';
import { ControlPlaneService } from './control-plane.service';

export interface ClientStatisticsRecord {
  client_name: string;
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  total_cached_requests: number;
  total_operations: number;
  last_request_at: Date | null;
  last_operation_at: Date | null;
  updated_at: Date;
}

export interface ClientTableStatisticsRecord {
  client_name: string;
  table_name: string;
  operation: string;
  total_operations: number;
  error_operations: number;
  last_operation_at: Date | null;
  updated_at: Date;
}

export type DrilldownStatus = 'all' | 'errors' | 'normal';

export interface DrilldownQuery {
  client_name: string;
  table_name: string;
  operation: string;
  status: DrilldownStatus;
  limit: number;
  offset: number;
}

/** An error operation: `error = true` or an HTTP status ≥ 400 (the statistics count the same rows). */
const IS_ERROR = 'error OR status_code >= 400';

/**
 * The drilldown statement: served by gateway_operation_log_drilldown_idx (or its errors-only partial twin)
 * in index order — no sort, no scan beyond offset + limit rows.
 */
export function drilldownSql(status: DrilldownStatus): string {
  const filter =
    status === 'errors'
      ? ` AND (${IS_ERROR})`
      : status === 'normal'
        ? ' AND NOT error AND (status_code IS NULL OR status_code < 400)'
        : '';
  return `SELECT created_at, request_id, operation, table_name, client_name, method, path, status_code,
       duration_ms::float8 AS duration_ms, duration_ms::float8 AS operation_time_ms, details, error, message, cache_key
  FROM gateway_operation_log
 WHERE client_name = $1 AND table_name = $2 AND operation = $3${filter}
 ORDER BY created_at DESC, id DESC
 LIMIT $4 OFFSET $5`;
}

const STATS_COLUMNS = `client_name, total_requests::float8 AS total_requests, successful_requests::float8 AS successful_requests,
  failed_requests::float8 AS failed_requests, total_cached_requests::float8 AS total_cached_requests,
  total_operations::float8 AS total_operations, last_request_at, last_operation_at, updated_at`;
const TABLE_COLUMNS = `client_name, table_name, operation, total_operations::float8 AS total_operations,
  error_operations::float8 AS error_operations, last_operation_at, updated_at`;

/** Client statistics (kept current by LogsRepository's batch inserts), their full rebuild, and the drilldown. */
@Injectable()
export class ClientStatisticsRepository {
  private readonly access: ControlPlaneAccess;

  constructor(cp: ControlPlaneService, events: ControlPlaneEvents) {
    this.access = new ControlPlaneAccess(cp, events, 'Statistics store');
  }

  list(): Promise<ClientStatisticsRecord[]> {
    return this.access.read(`SELECT ${STATS_COLUMNS} FROM client_statistics ORDER BY client_name`);
  }

  async forClient(
    name: string,
  ): Promise<{ statistics: ClientStatisticsRecord; tables: ClientTableStatisticsRecord[] } | null> {
    const rows = await this.access.read<ClientStatisticsRecord[]>(
      `SELECT ${STATS_COLUMNS} FROM client_statistics WHERE lower(client_name) = lower($1) ORDER BY client_name = $1 DESC LIMIT 1`,
      [name],
    );
    if (rows.length === 0) return null;
    const tables = await this.access.read<ClientTableStatisticsRecord[]>(
      `SELECT ${TABLE_COLUMNS} FROM client_table_statistics WHERE client_name = $1 ORDER BY table_name, operation`,
      [rows[0].client_name],
    );
    return { statistics: rows[0], tables };
  }

  drilldown(q: DrilldownQuery): Promise<Array<Record<string, unknown>>> {
    return this.access.read(drilldownSql(q.status), [q.client_name, q.table_name, q.operation, q.limit, q.offset]);
  }

  /**
   * Recomputes both tables from the logs in one transaction. The SHARE ROW EXCLUSIVE lock makes concurrent
   * batch increments wait until the rebuild commits (then they add on top), so no batch is counted twice or lost.
   */
  async rebuild(): Promise<void> {
    await this.access.write('athena_client_statistics', 'rebuild', async (m) => {
      await m.query('LOCK TABLE client_statistics, client_table_statistics IN SHARE ROW EXCLUSIVE MODE');
      await m.query('DELETE FROM client_table_statistics');
      await m.query('DELETE FROM client_statistics');
      await m.query(`
        INSERT INTO client_statistics (client_name, total_requests, successful_requests, failed_requests, total_cached_requests,
                                       total_operations, last_request_at, last_operation_at, updated_at)
        SELECT coalesce(r.client, o.client_name), coalesce(r.total, 0), coalesce(r.ok, 0), coalesce(r.failed, 0), coalesce(r.cached, 0),
               coalesce(o.total, 0), r.last_at, o.last_at, now()
          FROM (SELECT client, count(*) AS total, count(*) FILTER (WHERE status_code < 400) AS ok,
                       count(*) FILTER (WHERE status_code >= 400) AS failed, count(*) FILTER (WHERE cached) AS cached,
                       max(created_at) AS last_at
                  FROM gateway_request_log WHERE client IS NOT NULL GROUP BY client) r
          FULL JOIN (SELECT client_name, count(*) AS total, max(created_at) AS last_at
                       FROM gateway_operation_log WHERE client_name IS NOT NULL GROUP BY client_name) o
            ON o.client_name = r.client`);
      await m.query(`
        INSERT INTO client_table_statistics (client_name, table_name, operation, total_operations, error_operations, last_operation_at, updated_at)
        SELECT client_name, table_name, operation, count(*), count(*) FILTER (WHERE ${IS_ERROR}), max(created_at), now()
          FROM gateway_operation_log WHERE client_name IS NOT NULL AND table_name IS NOT NULL
         GROUP BY client_name, table_name, operation`);
    });
  }
}

/**
 * Adds one log batch's per-client request counts to `client_statistics` (parameters: the parallel arrays of
 * RequestStats, in order). Runs in the batch's transaction, so the counts and the rows land together.
 */
export const REQUEST_STATS_UPSERT = `
INSERT INTO client_statistics AS s (client_name, total_requests, successful_requests, failed_requests, total_cached_requests, last_request_at, updated_at)
SELECT u.client, u.total, u.ok, u.failed, u.cached, u.last, now()
  FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[], $6::timestamptz[])
       AS u(client, total, ok, failed, cached, last)
 ORDER BY u.client
ON CONFLICT (client_name) DO UPDATE SET
  total_requests = s.total_requests + EXCLUDED.total_requests,
  successful_requests = s.successful_requests + EXCLUDED.successful_requests,
  failed_requests = s.failed_requests + EXCLUDED.failed_requests,
  total_cached_requests = s.total_cached_requests + EXCLUDED.total_cached_requests,
  last_request_at = GREATEST(s.last_request_at, EXCLUDED.last_request_at),
  updated_at = now()`;

/**
 * Same for operation-log batches: per-client operation counts ($1–$3) and per-(client, table, operation)
 * totals and errors ($4–$9), the parallel arrays of OperationStats.
 */
export const OPERATION_STATS_UPSERT = `
WITH client_ops AS (
  INSERT INTO client_statistics AS s (client_name, total_operations, last_operation_at, updated_at)
  SELECT u.client, u.total, u.last, now()
    FROM unnest($1::text[], $2::bigint[], $3::timestamptz[]) AS u(client, total, last)
   ORDER BY u.client
  ON CONFLICT (client_name) DO UPDATE SET
    total_operations = s.total_operations + EXCLUDED.total_operations,
    last_operation_at = GREATEST(s.last_operation_at, EXCLUDED.last_operation_at),
    updated_at = now()
  RETURNING 1
)
INSERT INTO client_table_statistics AS t (client_name, table_name, operation, total_operations, error_operations, last_operation_at, updated_at)
SELECT u.client, u.tbl, u.op, u.total, u.errors, u.last, now()
  FROM unnest($4::text[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::timestamptz[])
       AS u(client, tbl, op, total, errors, last)
 ORDER BY u.client, u.tbl, u.op
ON CONFLICT (client_name, table_name, operation) DO UPDATE SET
  total_operations = t.total_operations + EXCLUDED.total_operations,
  error_operations = t.error_operations + EXCLUDED.error_operations,
  last_operation_at = GREATEST(t.last_operation_at, EXCLUDED.last_operation_at),
  updated_at = now()`;
