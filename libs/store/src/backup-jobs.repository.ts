import { Injectable } from '@nestjs/common';

import { ControlPlaneService } from './control-plane.service';
import { StoreErrors } from './errors';

export type BackupJobKind = 'backup' | 'restore';
export type BackupJobStatus = 'pending' | 'running' | 'completed' | 'failed' | 'cancelled';
export const LIVE_JOB_STATUSES: readonly BackupJobStatus[] = ['pending', 'running'];

/** One `backup_jobs` row as the admin API shows it. */
export interface BackupJobRecord {
  job_id: number;
  kind: BackupJobKind;
  client_name: string;
  label: string | null;
  bucket: string;
  key: string;
  status: BackupJobStatus;
  bytes_done: number;
  size_bytes: number | null;
  sha256: string | null;
  server_version: string | null;
  tool_version: string | null;
  error_code: string | null;
  error: string | null;
  cancel_requested: boolean;
  instance_id: string;
  created_at: Date;
  started_at: Date | null;
  heartbeat_at: Date;
  completed_at: Date | null;
  duration_ms: number | null;
}

export interface NewBackupJob {
  kind: BackupJobKind;
  client_name: string;
  label: string | null;
  bucket: string;
  key: string;
  instance_id: string;
}

export interface BackupJobOutcome {
  status: 'completed' | 'failed' | 'cancelled';
  bytes_done: number;
  size_bytes?: number | null;
  sha256?: string | null;
  error_code?: string | null;
  error?: string | null;
}

const COLUMNS = `job_id::text AS job_id, kind, client_name, label, s3_bucket AS bucket, s3_key AS key, status,
  bytes_done::text AS bytes_done, size_bytes::text AS size_bytes, sha256, server_version, tool_version, error_code,
  error_excerpt AS error, cancel_requested, execution_daemon_id AS instance_id, created_at, started_at, heartbeat_at,
  completed_at, duration_ms::text AS duration_ms`;

type RawRow = Omit<BackupJobRecord, 'job_id' | 'bytes_done' | 'size_bytes' | 'duration_ms'> & {
  job_id: string;
  bytes_done: string;
  size_bytes: string | null;
  duration_ms: string | null;
};

function toRecord(r: RawRow): BackupJobRecord {
  return {
    ...r,
    job_id: Number(r.job_id),
    bytes_done: Number(r.bytes_done),
    size_bytes: r.size_bytes === null ? null : Number(r.size_bytes),
    duration_ms: r.duration_ms === null ? null : Number(r.duration_ms),
  };
}

/** TypeORM answers UPDATE … RETURNING with [rows, affected]; SELECT/INSERT with rows. */
function rowsOf(result: unknown): RawRow[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number')
    return result[0] as RawRow[];
  return result as RawRow[];
}

/** `backup_jobs` in the control plane (libs/backups drives it). */
@Injectable()
export class BackupJobsRepository {
  constructor(private readonly cp: ControlPlaneService) {}

  private async q(sql: string, params: unknown[] = []): Promise<RawRow[]> {
    if (!this.cp.isReady) {
      throw StoreErrors.controlPlaneUnavailable(
        'Job store unavailable',
        'The control-plane database is not connected; retry shortly',
      );
    }
    return rowsOf(await this.cp.dataSource.query(sql, params));
  }

  /**
   * Marks live jobs whose heartbeat is older than `staleMs` failed (their instance died), for one client or all.
   * Returns how many were reaped.
   */
  async reapStale(staleMs: number, clientName?: string): Promise<number> {
    const rows = await this.q(
      `UPDATE backup_jobs SET status = 'failed', error_code = 'job_lost',
              error_excerpt = 'the instance running this job stopped sending heartbeats', completed_at = now(),
              duration_ms = (extract(epoch FROM now() - coalesce(started_at, created_at)) * 1000)::bigint
        WHERE status IN ('pending', 'running') AND heartbeat_at < now() - make_interval(secs => $1::float8 / 1000)
          AND ($2::text IS NULL OR lower(client_name) = lower($2::text))
        RETURNING ${COLUMNS}`,
      [staleMs, clientName ?? null],
    );
    return rows.length;
  }

  /** Inserts a pending job, or returns null when the client already has a live one (any instance). */
  async insert(job: NewBackupJob): Promise<BackupJobRecord | null> {
    try {
      const rows = await this.q(
        `INSERT INTO backup_jobs (kind, client_name, label, s3_bucket, s3_key, execution_daemon_id)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
        [job.kind, job.client_name, job.label, job.bucket, job.key, job.instance_id],
      );
      return toRecord(rows[0]);
    } catch (e) {
      if ((e as { code?: string }).code === '23505') return null;
      throw e;
    }
  }

  /** The live job of a client, if any. */
  async liveForClient(clientName: string): Promise<BackupJobRecord | null> {
    const rows = await this.q(
      `SELECT ${COLUMNS} FROM backup_jobs WHERE lower(client_name) = lower($1) AND status IN ('pending', 'running')`,
      [clientName],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** pending → running; false when the job was cancelled meanwhile. */
  async markRunning(jobId: number, serverVersion: string | null, toolVersion: string | null): Promise<boolean> {
    const rows = await this.q(
      `UPDATE backup_jobs SET status = 'running', started_at = now(), heartbeat_at = now(), server_version = $2, tool_version = $3
        WHERE job_id = $1 AND status = 'pending' AND NOT cancel_requested RETURNING ${COLUMNS}`,
      [jobId, serverVersion, toolVersion],
    );
    return rows.length === 1;
  }

  /** Progress + heartbeat; returns whether a cancel was requested (possibly through another instance). */
  async progress(jobId: number, bytesDone: number): Promise<boolean> {
    const rows = (await this.q(
      `UPDATE backup_jobs SET bytes_done = $2, heartbeat_at = now() WHERE job_id = $1 RETURNING cancel_requested`,
      [jobId, bytesDone],
    )) as unknown as Array<{ cancel_requested: boolean }>;
    return rows[0]?.cancel_requested === true;
  }

  async finish(jobId: number, o: BackupJobOutcome): Promise<BackupJobRecord | null> {
    const rows = await this.q(
      `UPDATE backup_jobs SET status = $2, bytes_done = $3, size_bytes = $4, sha256 = $5, error_code = $6, error_excerpt = $7,
              completed_at = now(), heartbeat_at = now(),
              duration_ms = (extract(epoch FROM now() - coalesce(started_at, created_at)) * 1000)::bigint
        WHERE job_id = $1 AND status IN ('pending', 'running') RETURNING ${COLUMNS}`,
      [jobId, o.status, o.bytes_done, o.size_bytes ?? null, o.sha256 ?? null, o.error_code ?? null, o.error ?? null],
    );
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Sets cancel_requested on a live job; returns the row after the change (or the terminal row, unchanged). */
  async requestCancel(jobId: number): Promise<BackupJobRecord | null> {
    const rows = await this.q(
      `UPDATE backup_jobs SET cancel_requested = true WHERE job_id = $1 AND status IN ('pending', 'running') RETURNING ${COLUMNS}`,
      [jobId],
    );
    return rows[0] ? toRecord(rows[0]) : this.get(jobId);
  }

  async get(jobId: number): Promise<BackupJobRecord | null> {
    const rows = await this.q(`SELECT ${COLUMNS} FROM backup_jobs WHERE job_id = $1`, [jobId]);
    return rows[0] ? toRecord(rows[0]) : null;
  }

  /** Newest first; keyset paging with `beforeId`. */
  async list(opts: {
    limit: number;
    beforeId?: number;
    clientName?: string;
    status?: BackupJobStatus;
    kind?: BackupJobKind;
  }): Promise<BackupJobRecord[]> {
    const rows = await this.q(
      `SELECT ${COLUMNS} FROM backup_jobs
        WHERE ($2::bigint IS NULL OR job_id < $2) AND ($3::text IS NULL OR lower(client_name) = lower($3::text))
          AND ($4::text IS NULL OR status = $4) AND ($5::text IS NULL OR kind = $5)
        ORDER BY job_id DESC LIMIT $1`,
      [opts.limit, opts.beforeId ?? null, opts.clientName ?? null, opts.status ?? null, opts.kind ?? null],
    );
    return rows.map(toRecord);
  }

  // ---------------------------------------------------------------- schedule claims (backup_schedule_runs)

  /** True when this call claimed (schedule, slot); false when an instance claimed it before. */
  async claimScheduleSlot(scheduleId: string, slot: Date, instanceId: string): Promise<boolean> {
    const rows = (await this.q(
      `INSERT INTO backup_schedule_runs (schedule_id, slot, execution_daemon_id) VALUES ($1, $2, $3)
       ON CONFLICT (schedule_id, slot) DO NOTHING RETURNING schedule_id`,
      [scheduleId, slot, instanceId],
    )) as unknown as unknown[];
    return rows.length === 1;
  }

  /** The outcome of a claimed slot: its job, how it ended, how many old objects retention deleted. */
  async finishScheduleSlot(
    scheduleId: string,
    slot: Date,
    o: { jobId: number | null; outcome: string; deleted: number },
  ): Promise<void> {
    await this.q(
      `UPDATE backup_schedule_runs SET job_id = $3, outcome = $4, deleted_objects = $5, finished_at = now()
        WHERE schedule_id = $1 AND slot = $2`,
      [scheduleId, slot, o.jobId, o.outcome, o.deleted],
    );
  }

  /** The claim of one slot (who ran it, with which job), or null. */
  async scheduleSlot(
    scheduleId: string,
    slot: Date,
  ): Promise<{ instance_id: string; job_id: number | null; outcome: string | null; deleted_objects: number } | null> {
    const rows = (await this.q(
      `SELECT execution_daemon_id AS instance_id, job_id::text AS job_id, outcome, deleted_objects
         FROM backup_schedule_runs WHERE schedule_id = $1 AND slot = $2`,
      [scheduleId, slot],
    )) as unknown as Array<{
      instance_id: string;
      job_id: string | null;
      outcome: string | null;
      deleted_objects: number;
    }>;
    const r = rows[0];
    return r ? { ...r, job_id: r.job_id === null ? null : Number(r.job_id) } : null;
  }
}
