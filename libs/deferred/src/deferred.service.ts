import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import { DEFERRABLE_ROUTES } from '@athena/admission';
import { AuthorizationService, isAuthPrincipal, storedIdentity } from '@athena/auth';
import { AthenaError, CallOutcome, GatewayCall } from '@athena/common';
import { isPlainRead, leadingKeyword } from '@athena/cache';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { normalizeSql, RAW_QUERY_RIGHT } from '@athena/gateway';
import { ok, SuccessEnvelope } from '@athena/http';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import {
  parseDeletePayload,
  parseFetchPayload,
  parseInsertPayload,
  parseUpdatePayload,
  ParseOptions,
  TableRef,
} from '@athena/query';
import { DeferredMetrics } from './deferred.metrics';
import { DeferredQueueRepository, JobKind, JobRow } from './deferred.repository';
import { DeferredErrors } from './errors';

/** Request ids are the request's own id (a UUID, or a caller's well-formed X-Request-Id). */
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const RETRY_AFTER_SECS = 5;

/** The status object of one deferred request (`GET /gateway/deferred/{id}`). */
export interface DeferredStatus {
  request_id: string;
  client_name: string | null;
  operation: JobKind;
  route: string;
  status: string;
  attempts: number;
  reason: string | null;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
  truncated: boolean;
  result_status: number | null;
  result: unknown;
  error: string | null;
}

export function unavailable(e?: unknown): AthenaError {
  return DeferredErrors.deferredQueueUnavailable(
    'Deferred queue unavailable',
    `The deferred queue storage (control-plane database) is unreachable${e instanceof Error ? `: ${e.message}` : ''}; retry later`,
    undefined,
    { 'Retry-After': String(RETRY_AFTER_SECS) },
  );
}

/**
 * The deferred queue's use cases, transport-free: submit (validate the payload and authorize the call now, so
 * a bad request is refused at once, then store it with the caller's identity — never a secret), status and
 * requeue with ownership (same API key; without enforcement, same client; the admin key sees all).
 */
@Injectable()
export class DeferredService {
  readonly metrics: DeferredMetrics;
  private readonly logger: PinoLogger;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly repo: DeferredQueueRepository,
    private readonly authz: AuthorizationService,
    metrics: MetricsService,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.metrics = new DeferredMetrics(metrics, repo);
    this.logger = root.child({ component: 'deferred' });
  }

  private parseOptions(call: GatewayCall): ParseOptions {
    return {
      camelToSnake: this.config.gateway.force_camel_case_to_snake_case,
      maxRows: this.config.gateway.max_rows,
      stripNullsHeader: call.stripNulls,
    };
  }

  /** Queues `payload` for `route` on behalf of `call`; 202 with the status URL. */
  async submit(
    call: GatewayCall,
    route: string,
    payload: unknown,
    cause: 'requested' | 'admission',
  ): Promise<CallOutcome<SuccessEnvelope>> {
    const kind = DEFERRABLE_ROUTES.get(route);
    if (kind === undefined)
      throw notSupported(`${route} cannot be deferred; deferrable: /gateway/fetch, /gateway/query`);
    if (
      call.target.directUri !== null ||
      call.target.supabaseUrl !== undefined ||
      call.target.supabaseKey !== undefined
    ) {
      throw notSupported('Direct connections and custom_supabase calls always run inline');
    }
    if (call.client === null) {
      throw DeferredErrors.missingClientHeader(
        'Missing X-Athena-Client header',
        'Name the client to run the deferred request on with X-Athena-Client',
      );
    }
    const readOnly = this.validate(call, kind, payload);
    const p = call.principal;
    const who = storedIdentity(p);
    const o = call.origin;
    const job = {
      requestId: REQUEST_ID.test(call.requestId) ? call.requestId : randomUUID(),
      kind,
      client: call.client,
      route,
      method: o.method,
      payload,
      readOnly,
      call: {
        cache: { read: call.cache.read, write: call.cache.write },
        stripNulls: call.stripNulls ?? null,
        tenant: call.tenant,
        ip: o.ip,
        userAgent: o.userAgent,
        host: o.host,
        cacheRoute: route === '/gateway/data' ? 'gateway_data' : 'gateway_fetch',
      },
      principalKind: who.kind,
      apiKeyId: who.apiKeyId,
      apiKeyPublicId: who.publicId,
      rightsScope: p.context.scope,
    };
    if (!this.repo.ready) throw this.down();
    try {
      if (!(await this.repo.insert(job))) {
        job.requestId = randomUUID(); // the caller reused an X-Request-Id
        await this.repo.insert(job);
      }
    } catch (e) {
      throw this.down(e);
    }
    this.metrics.events.inc({ kind, status: 'queued' });
    this.logger.info(
      { request_id: job.requestId, client: call.client, kind, route, cause, read_only: readOnly },
      'request deferred',
    );
    const statusUrl = `/gateway/deferred/${encodeURIComponent(job.requestId)}`;
    return {
      status: 202,
      body: ok('Request deferred', {
        request_id: job.requestId,
        status: 'queued',
        deferred: true,
        status_url: statusUrl,
      }),
    };
  }

  /** Payload validation and authorization at submit time; whether the job only reads. */
  private validate(call: GatewayCall, kind: JobKind, payload: unknown): boolean {
    const opts = this.parseOptions(call);
    const table = (action: 'read' | 'write' | 'delete', t: TableRef) => this.authz.authorizeTable(call, action, t);
    switch (kind) {
      case 'fetch':
        table('read', parseFetchPayload(payload, opts).table);
        return true;
      case 'insert':
        table('write', parseInsertPayload(payload, opts).table);
        return false;
      case 'update':
        table('write', parseUpdatePayload(payload, opts).table);
        return false;
      case 'delete':
        table('delete', parseDeletePayload(payload, opts).table);
        return false;
      case 'query': {
        const sql = normalizeSql(payload);
        this.authz.authorize(call, RAW_QUERY_RIGHT);
        return isPlainRead(sql, leadingKeyword(sql));
      }
    }
  }

  async status(call: GatewayCall, id: string): Promise<CallOutcome<SuccessEnvelope<DeferredStatus>>> {
    const row = await this.owned(call, id);
    return { status: 200, body: ok('Deferred request status loaded', toStatus(row)) };
  }

  async requeue(call: GatewayCall, id: string): Promise<CallOutcome<SuccessEnvelope<DeferredStatus>>> {
    const row = await this.owned(call, id);
    if (row.status === 'queued' || row.status === 'running') throw notRequeueable(row.status);
    let updated: JobRow | null;
    try {
      updated = await this.repo.requeue(id);
    } catch (e) {
      throw this.down(e);
    }
    if (updated === null) {
      const now = await this.repo.get(id).catch(() => null);
      throw notRequeueable(now?.status ?? 'running');
    }
    this.metrics.events.inc({ kind: updated.kind, status: 'queued' });
    return { status: 200, body: ok('Deferred request requeued', toStatus(updated)) };
  }

  /** The job when the caller may see it; 404 otherwise (unknown and not-yours look the same). */
  private async owned(call: GatewayCall, id: string): Promise<JobRow> {
    if (!REQUEST_ID.test(id)) {
      throw DeferredErrors.invalidRequestId(
        'Invalid request id',
        'A deferred request id is 1–128 characters of A–Z a–z 0–9 . _ : -',
      );
    }
    if (!this.repo.ready) throw this.down();
    let row: JobRow | null;
    try {
      row = await this.repo.get(id);
    } catch (e) {
      throw this.down(e);
    }
    if (row === null || !this.mayAccess(call, row)) {
      throw DeferredErrors.deferredRequestNotFound(
        'Deferred request not found',
        `No deferred request ${id} visible to this caller`,
      );
    }
    return row;
  }

  private mayAccess(call: GatewayCall, row: JobRow): boolean {
    if (this.authz.isAdmin(call)) return true;
    const p = call.principal;
    if (!isAuthPrincipal(p)) return false;
    if (p.kind === 'key' && p.key && row.api_key_id === p.key.id) return true;
    return (
      !p.enforced &&
      call.client !== null &&
      row.client_name !== null &&
      row.client_name.toLowerCase() === call.client.toLowerCase()
    );
  }

  private down(e?: unknown): AthenaError {
    this.metrics.storageUp.set(0);
    if (e) this.logger.warn({ err: (e as Error).message }, 'deferred queue storage unavailable');
    return unavailable(e);
  }
}

function notSupported(detail: string): AthenaError {
  return DeferredErrors.deferredQueryNotSupported('Deferral not supported here', detail);
}

function notRequeueable(status: string): AthenaError {
  return DeferredErrors.deferredRequestNotRequeueable(
    'Deferred request cannot be requeued',
    `The request is ${status}; only completed or failed requests can be requeued`,
  );
}

function iso(d: Date | null): string | null {
  return d === null ? null : new Date(d).toISOString();
}

export function toStatus(r: JobRow): DeferredStatus {
  const final = r.status === 'completed' || r.status === 'failed';
  return {
    request_id: r.request_id,
    client_name: r.client_name,
    operation: r.kind,
    route: r.route,
    status: r.status,
    attempts: r.attempts,
    reason: r.reason,
    created_at: iso(r.created_at)!,
    updated_at: iso(r.updated_at)!,
    started_at: iso(r.started_at),
    completed_at: iso(r.completed_at),
    truncated: r.truncated,
    result_status: r.result_status,
    result: final ? r.result : null,
    error: r.error,
  };
}
