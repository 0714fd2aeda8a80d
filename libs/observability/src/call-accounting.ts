import { Injectable } from '@nestjs/common';
import { AthenaError, GatewayCall } from '@athena/common';
import { GatewayLogWriter } from './gateway-log-writer';
import { MetricsService } from './metrics.service';
import { redactUrl } from './logger';
import { GatewayTrace } from './trace';

/** What one data-plane call reports to the logs, metrics and trace when it ends. */
export interface CallRecord {
  operation: string;
  client: string | null;
  backend: string | null;
  table: string | null;
  resourceId?: string | null;
  rowsReturned?: number;
  rowsAffected?: number;
  /** Response-cache key of a cached read route (`cache_key` in the logs and trace). */
  cacheKey?: string;
  /** Response-cache outcome of a cached read route (`hit` marks the logs `cached` and the trace outcome `cached`). */
  cacheOutcome?: 'hit' | 'miss' | 'bypass';
}

/**
 * Request/operation logs, operation metrics and the gateway_trace event for one data-plane call (the gateway
 * CRUD routes, `/query/sql`), recorded exactly once on success and on failure.
 */
@Injectable()
export class CallAccounting {
  constructor(
    private readonly logs: GatewayLogWriter,
    private readonly metrics: MetricsService,
    private readonly trace: GatewayTrace,
  ) {}

  async account<T, R extends CallRecord = CallRecord>(
    call: GatewayCall,
    operation: R['operation'],
    fn: (rec: R) => Promise<T>,
  ): Promise<T> {
    const started = performance.now();
    const rec = { operation, client: null, backend: null, table: null } as R;
    try {
      const result = await fn(rec);
      this.record(call, rec, 200, performance.now() - started, null);
      return result;
    } catch (err) {
      const status = err instanceof AthenaError ? err.status : 500;
      this.record(call, rec, status, performance.now() - started, err);
      throw err;
    }
  }

  record(call: GatewayCall, rec: CallRecord, status: number, ms: number, err: unknown): void {
    const ae = err instanceof AthenaError ? err : null;
    const outcome = status >= 500 ? 'server_error' : status >= 400 ? 'client_error' : 'success';
    const client = rec.client ?? 'unknown';
    this.metrics.observeOperation(client, rec.operation, outcome, ms / 1000);
    if (err) this.metrics.operationErrors.inc({ client, operation: rec.operation, code: ae?.code ?? 'internal_error' });
    const { userId, companyId, organizationId: orgId } = call.tenant;
    const o = call.origin;
    const now = new Date().toISOString();
    const url = redactUrl(o.url);
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    const duration = Math.round(ms * 1000) / 1000;
    const cached = rec.cacheOutcome === 'hit';
    const cacheKey = rec.cacheKey ?? null;
    this.logs.recordRequest({
      created_at: now,
      request_id: call.requestId,
      client: rec.client,
      method: o.method,
      path,
      query_string: q === -1 ? null : url.slice(q + 1),
      status_code: status,
      ipv4: o.ip,
      user_agent: o.userAgent,
      user_id: userId,
      company_id: companyId,
      organization_id: orgId,
      host: o.host,
      cached,
      time: duration,
    });
    this.logs.recordOperation({
      created_at: now,
      request_id: call.requestId,
      operation: rec.operation,
      table_name: rec.table,
      client_name: rec.client,
      method: o.method,
      path,
      status_code: status,
      duration_ms: duration,
      row_count: rec.rowsAffected ?? rec.rowsReturned ?? null,
      cached,
      error: status >= 400,
      message: err ? (ae ? `${ae.code}: ${ae.message}` : 'internal_error') : null,
      cache_key: cacheKey,
      user_id: userId,
      company_id: companyId,
      organization_id: orgId,
      details: ae ? { code: ae.code, error: ae.detail } : null,
    });
    if (!this.trace.wanted(status)) return;
    this.trace.emit({
      request_id: call.requestId,
      client: rec.client,
      method: o.method,
      path,
      operation: rec.operation,
      table_name: rec.table,
      resource_id: rec.resourceId ?? null,
      status_code: status,
      outcome: cached && outcome === 'success' ? 'cached' : outcome,
      duration_ms: duration,
      backend: rec.backend,
      cache_outcome: rec.cacheOutcome ?? null,
      cache_key: cacheKey,
      rows_returned: rec.rowsReturned ?? null,
      rows_affected: rec.rowsAffected ?? null,
      error_class: ae?.code ?? (err ? 'internal_error' : null),
      error: ae?.message ?? null,
    });
  }
}
