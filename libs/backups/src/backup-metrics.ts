import { Counter, Gauge, Histogram } from 'prom-client';
import type { MetricsService } from '@athena/observability';

/** Backup/restore job metrics on the instance's registry. */
export class BackupMetrics {
  readonly jobs: Counter<'kind' | 'outcome'>;
  readonly bytes: Counter<'kind'>;
  readonly duration: Histogram<'kind' | 'outcome'>;
  readonly lastSuccess: Gauge<'client'>;
  readonly running: Gauge<'kind'>;
  readonly scheduledRuns: Counter<'schedule' | 'outcome'>;
  readonly retentionDeleted: Counter<'client'>;
  readonly pendingCleanups: Gauge;

  constructor(metrics: MetricsService) {
    const registers = [metrics.registry];
    this.jobs = new Counter({
      name: 'athena_backup_jobs_total',
      help: 'Finished backup/restore jobs by kind (backup|restore) and outcome (completed|failed|cancelled)',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    });
    this.bytes = new Counter({
      name: 'athena_backup_bytes_total',
      help: 'Bytes streamed by backup jobs (pg_dump → S3) and restore jobs (S3 → pg_restore), any outcome',
      labelNames: ['kind'] as const,
      registers,
    });
    this.duration = new Histogram({
      name: 'athena_backup_job_duration_seconds',
      help: 'Duration of finished backup/restore jobs by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      buckets: [1, 5, 15, 60, 300, 900, 1800, 3600, 7200, 21600],
      registers,
    });
    this.lastSuccess = new Gauge({
      name: 'athena_backup_last_success_timestamp_seconds',
      help: 'Unix time of the last completed backup per client (run by this instance)',
      labelNames: ['client'] as const,
      registers,
    });
    this.scheduledRuns = new Counter({
      name: 'athena_backup_scheduled_runs_total',
      help: 'Cron ticks of backup.schedules by schedule (<client>/<label>) and outcome: completed|failed|cancelled|skipped (another instance claimed the slot)|error (no job could start)',
      labelNames: ['schedule', 'outcome'] as const,
      registers,
    });
    this.retentionDeleted = new Counter({
      name: 'athena_backup_retention_deleted_total',
      help: 'Backup objects deleted by keep_last retention after a successful scheduled backup, per client',
      labelNames: ['client'] as const,
      registers,
    });
    this.pendingCleanups = new Gauge({
      name: 'athena_backup_pending_cleanups',
      help: 'Failed backup uploads whose multipart abort/delete did not reach S3 yet (retried every 30 s and before the next backup or listing)',
      registers,
    });
    this.running = new Gauge({
      name: 'athena_backup_jobs_running',
      help: 'Backup/restore jobs running on this instance',
      labelNames: ['kind'] as const,
      registers,
    });
  }
}
