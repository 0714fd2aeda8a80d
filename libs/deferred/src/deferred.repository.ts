import { Injectable } from '@nestjs/common';
import { ControlPlaneService } from '@athena/store';

export type JobKind = 'fetch' | 'query' | 'insert' | 'update' | 'delete';
export type JobStatus = 'queued' | 'running' | 'completed' | 'failed';
export const JOB_STATUSES: readonly JobStatus[] = ['queued', 'running', 'completed', 'failed'];

/** What the worker needs to rebuild the call (no secret: the principal is re-established from the key ids). */
export interface StoredCall {
  cache: { read: boolean; write: boolean };
  stripNulls: string | null;
  tenant: { userId: string | null; companyId: string | null; organizationId: string | null };
  ip: string | null;
  userAgent: string | null;
  host: string | null;
  /** Cache route group of a fetch (`gateway_fetch` | `gateway_data`). */
  cacheRoute?: string;
}

export interface NewJob {
  requestId: string;
  kind: JobKind;
  client: string | null;
  route: string;
  method: string;
  payload: unknown;
  call: StoredCall;
  readOnly: boolean;
  principalKind: 'admin' | 'key' | 'anonymous';
  apiKeyId: string | null;
  apiKeyPublicId: string | null;
  rightsScope: string;
}

export interface JobRow {
  request_id: string;
  kind: JobKind;
  client_name: string | null;
  route: string;
  method: string;
  payload: unknown;
  call: StoredCall;
  read_only: boolean;
  principal_kind: 'admin' | 'key' | 'anonymous';
  api_key_id: string | null;
  api_key_public_id: string | null;
  rights_scope: string;
  status: JobStatus;
  attempts: number;
  reason: string | null;
  result: unknown;
  result_status: number | null;
  truncated: boolean;
  error: string | null;
  lease_owner: string | null;
  created_at: Date;
  updated_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
}

const T = 'gateway_deferred_request_queue';

/**
 * SQL of the deferred queue (control plane). Claims are one statement (`FOR UPDATE SKIP LOCKED` inside an
 * UPDATE … RETURNING), so N workers on N processes never take the same row; every later transition of a running
 * job is guarded by the claim (`lease_owner` + `attempts`), so a worker whose lease was taken over cannot
 * overwrite the outcome.
 */
@Injectable()
export class DeferredQueueRepository {
  constructor(private readonly cp: ControlPlaneService) {}

  get ready(): boolean {
    return this.cp.isReady;
  }

  /** Rows of a statement (TypeORM answers UPDATE/DELETE with `[rows, rowCount]`). */
  private async q<R = unknown>(sql: string, params: unknown[] = []): Promise<R> {
    const res: unknown = await this.cp.dataSource.query(sql, params);
    if (Array.isArray(res) && res.length === 2 && Array.isArray(res[0]) && typeof res[1] === 'number')
      return res[0] as R;
    return res as R;
  }

  /** Inserts the job; false when the id is taken. */
  async insert(j: NewJob): Promise<boolean> {
    const rows = await this.q<unknown[]>(
      `INSERT INTO ${T} (request_id, kind, client_name, route, method, payload, call, read_only, principal_kind, api_key_id,
                         api_key_public_id, rights_scope, owner_client)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8, $9, $10, $11, $12, lower($3))
       ON CONFLICT (request_id) DO NOTHING RETURNING request_id`,
      [
        j.requestId,
        j.kind,
        j.client,
        j.route,
        j.method,
        JSON.stringify(j.payload),
        JSON.stringify(j.call),
        j.readOnly,
        j.principalKind,
        j.apiKeyId,
        j.apiKeyPublicId,
        j.rightsScope,
      ],
    );
    return rows.length === 1;
  }

  async get(id: string): Promise<JobRow | null> {
    const rows = await this.q<JobRow[]>(`SELECT * FROM ${T} WHERE request_id = $1`, [id]);
    return rows[0] ?? null;
  }

  /** failed|completed → queued (attempts kept, outcome cleared); null when the job is not in a final state. */
  async requeue(id: string): Promise<JobRow | null> {
    const rows = await this.q<JobRow[]>(
      `UPDATE ${T} SET status = 'queued', reason = 'requeued', result = NULL, result_status = NULL, truncated = false, error = NULL,
              lease_owner = NULL, lease_until = NULL, started_at = NULL, completed_at = NULL, available_at = now(), updated_at = now()
        WHERE request_id = $1 AND status IN ('completed', 'failed') RETURNING *`,
      [id],
    );
    return rows[0] ?? null;
  }

  /** Claims up to `n` ready jobs for `owner` with a lease of `leaseMs`. */
  claim(owner: string, n: number, leaseMs: number): Promise<JobRow[]> {
    return this.q<JobRow[]>(
      `WITH picked AS (
         SELECT request_id FROM ${T}
          WHERE status = 'queued' AND available_at <= now()
          ORDER BY available_at, created_at
          LIMIT $2 FOR UPDATE SKIP LOCKED)
       UPDATE ${T} q SET status = 'running', attempts = q.attempts + 1, lease_owner = $1,
              lease_until = now() + make_interval(secs => $3::double precision / 1000), started_at = now(), updated_at = now()
         FROM picked WHERE q.request_id = picked.request_id
       RETURNING q.*`,
      [owner, n, leaseMs],
    );
  }

  /** Extends the leases of the jobs `owner` is running. */
  async renew(owner: string, ids: string[], leaseMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.q(
      `UPDATE ${T} SET lease_until = now() + make_interval(secs => $3::double precision / 1000), updated_at = now()
        WHERE status = 'running' AND lease_owner = $1 AND request_id = ANY($2::text[])`,
      [owner, ids, leaseMs],
    );
  }

  /** Final state of a claimed job; false when the claim was lost (the outcome is discarded). */
  async finish(
    job: JobRow,
    owner: string,
    f: {
      status: 'completed' | 'failed';
      reason: string | null;
      result: unknown;
      resultStatus: number | null;
      truncated: boolean;
      error: string | null;
    },
  ): Promise<boolean> {
    const rows = await this.q<unknown[]>(
      `UPDATE ${T} SET status = $4, reason = $5, result = $6::jsonb, result_status = $7, truncated = $8, error = $9,
              lease_owner = NULL, lease_until = NULL, completed_at = now(), updated_at = now()
        WHERE request_id = $1 AND status = 'running' AND lease_owner = $2 AND attempts = $3 RETURNING request_id`,
      [
        job.request_id,
        owner,
        job.attempts,
        f.status,
        f.reason,
        f.result === undefined ? null : JSON.stringify(f.result),
        f.resultStatus,
        f.truncated,
        f.error,
      ],
    );
    return rows.length === 1;
  }

  /** Back to the queue after `delayMs` (a read-only job after a transient failure, or released on shutdown). */
  async release(job: JobRow, owner: string, delayMs: number, reason: string, refundAttempt: boolean): Promise<boolean> {
    const rows = await this.q<unknown[]>(
      `UPDATE ${T} SET status = 'queued', reason = $4, lease_owner = NULL, lease_until = NULL,
              attempts = attempts - CASE WHEN $6 THEN 1 ELSE 0 END,
              available_at = now() + make_interval(secs => $5::double precision / 1000), updated_at = now()
        WHERE request_id = $1 AND status = 'running' AND lease_owner = $2 AND attempts = $3 RETURNING request_id`,
      [job.request_id, owner, job.attempts, reason, delayMs, refundAttempt],
    );
    return rows.length === 1;
  }

  /**
   * Expired leases (the worker died or lost the database): a read-only job goes back to the queue while it has
   * attempts left; anything that may have written is failed with reason `worker_lost` — never run twice.
   */
  expireLeases(maxAttempts: number): Promise<Array<{ kind: JobKind; status: JobStatus }>> {
    return this.q(
      `UPDATE ${T} SET
              status = CASE WHEN read_only AND attempts < $1 THEN 'queued' ELSE 'failed' END,
              reason = CASE WHEN read_only AND attempts < $1 THEN 'lease_expired' ELSE 'worker_lost' END,
              error = CASE WHEN read_only AND attempts < $1 THEN NULL
                           WHEN read_only THEN 'the worker running this job was lost; no attempts left'
                           ELSE 'the worker running this job was lost; it may have written, so it is not run again (requeue to retry)' END,
              completed_at = CASE WHEN read_only AND attempts < $1 THEN NULL ELSE now() END,
              lease_owner = NULL, lease_until = NULL, available_at = now(), updated_at = now()
        WHERE status = 'running' AND lease_until < now()
        RETURNING kind, status`,
      [maxAttempts],
    );
  }

  /** Deletes final jobs older than `secs` (bounded batch); the number deleted. */
  async purge(secs: number, batch = 1000): Promise<number> {
    const rows = await this.q<unknown[]>(
      `DELETE FROM ${T} WHERE request_id IN (
         SELECT request_id FROM ${T} WHERE status IN ('completed', 'failed')
            AND completed_at < now() - make_interval(secs => $1::double precision) LIMIT $2)
       RETURNING 1`,
      [secs, batch],
    );
    return rows.length;
  }

  /** Depth by status and the age of the oldest queued job (scrape time). */
  async stats(): Promise<{ counts: Record<string, number>; oldestQueuedSecs: number }> {
    const rows = await this.q<Array<{ status: string; n: string; oldest: string | null }>>(
      `SELECT status, count(*)::text AS n,
              CASE WHEN status = 'queued' THEN extract(epoch FROM now() - min(created_at))::text END AS oldest
         FROM ${T} GROUP BY status`,
    );
    const counts: Record<string, number> = {};
    let oldest = 0;
    for (const r of rows) {
      counts[r.status] = Number(r.n);
      if (r.oldest !== null) oldest = Number(r.oldest);
    }
    return { counts, oldestQueuedSecs: oldest };
  }
}
