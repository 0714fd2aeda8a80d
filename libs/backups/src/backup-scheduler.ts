import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { CronJob } from 'cron';
import type { Logger as PinoLogger } from 'pino';
import { AthenaError } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig, BackupScheduleDecl } from '@athena/config';
import { ROOT_LOGGER } from '@athena/observability';
import { BackupJobsRepository } from '@athena/store';
import { BackupsService } from './backups.service';

/** One entry of `backup.schedules`; `id` (`<client lower-case>/<label>`) names it in claims, metrics and logs. */
export interface BackupSchedule extends BackupScheduleDecl {
  id: string;
}

export type ScheduleRunOutcome = 'completed' | 'failed' | 'cancelled' | 'skipped' | 'error';

export interface ScheduleRunResult {
  schedule_id: string;
  slot: Date;
  /** false: another instance (or an earlier call) claimed this slot. */
  ran: boolean;
  outcome: ScheduleRunOutcome;
  job_id: number | null;
  error: string | null;
  /** Keys deleted by keep_last retention. */
  deleted: string[];
}

/** The slot a tick belongs to: its time floored to the cron's precision (seconds with 6 fields, else minutes). */
export function scheduleSlot(cron: string, at: Date): Date {
  const unit = cron.trim().split(/\s+/).length === 6 ? 1000 : 60_000;
  return new Date(Math.floor(at.getTime() / unit) * unit);
}

function message(e: unknown): string {
  return e instanceof AthenaError ? `${e.code}: ${e.detail}` : e instanceof Error ? e.message : String(e);
}

/**
 * Runs `backup.schedules` with @nestjs/schedule cron jobs on every instance. A tick claims (schedule, slot) in
 * the control plane (`backup_schedule_runs`, INSERT … ON CONFLICT DO NOTHING): only the claiming instance runs
 * the backup, then keep_last retention. `runSchedule` is the tick without the clock (tests call it directly).
 */
@Injectable()
export class BackupScheduler implements OnApplicationBootstrap, OnModuleDestroy {
  readonly schedules: readonly BackupSchedule[];
  private readonly logger: PinoLogger;
  private readonly names: string[] = [];

  constructor(
    @Inject(ATHENA_CONFIG) config: AthenaConfig,
    private readonly backups: BackupsService,
    private readonly jobs: BackupJobsRepository,
    private readonly registry: SchedulerRegistry,
    @Inject(ROOT_LOGGER) root: PinoLogger,
  ) {
    this.logger = root.child({ component: 'backup-scheduler' });
    this.schedules = (config.backup.schedules ?? []).map((s) => ({
      ...s,
      id: `${s.client_name.toLowerCase()}/${s.label}`,
    }));
  }

  onApplicationBootstrap(): void {
    if (this.schedules.length === 0) return;
    if (!this.backups.enabled) {
      this.logger.warn(`${this.schedules.length} backup schedule(s) ignored: backups are disabled (no backup.bucket)`);
      return;
    }
    for (const s of this.schedules) {
      const job = CronJob.from({
        cronTime: s.cron,
        timeZone: s.time_zone,
        start: false,
        onTick: () => {
          void this.runSchedule(s, scheduleSlot(s.cron, new Date()));
        },
      });
      const name = `backup:${s.id}`;
      this.registry.addCronJob(name, job);
      this.names.push(name);
      job.start();
      this.logger.info(
        { schedule: s.id, cron: s.cron, time_zone: s.time_zone, keep_last: s.keep_last },
        `backup schedule ${s.id} (${s.cron} ${s.time_zone}) next at ${job.nextDate().toISO()}`,
      );
    }
  }

  onModuleDestroy(): void {
    for (const name of this.names.splice(0)) {
      try {
        void this.registry.getCronJob(name).stop();
        this.registry.deleteCronJob(name);
      } catch {
        /* already removed */
      }
    }
  }

  /** The schedule of a client and label (case-insensitive client). */
  find(clientName: string, label: string): BackupSchedule | undefined {
    return this.schedules.find((s) => s.id === `${clientName.toLowerCase()}/${label}`);
  }

  /**
   * One tick of `schedule` for `slot`: claim, back up, wait for the job, apply retention. Never throws; the
   * outcome is logged, counted in athena_backup_scheduled_runs_total and recorded on the claim row.
   */
  async runSchedule(schedule: BackupSchedule, slot: Date): Promise<ScheduleRunResult> {
    const base = { schedule_id: schedule.id, slot, job_id: null, error: null, deleted: [] as string[] };
    const log = { schedule: schedule.id, client: schedule.client_name, slot: slot.toISOString() };
    let claimed: boolean;
    try {
      claimed = await this.jobs.claimScheduleSlot(schedule.id, slot, this.backups.instanceId);
    } catch (e) {
      this.backups.metrics.scheduledRuns.inc({ schedule: schedule.id, outcome: 'error' });
      this.logger.error(
        log,
        `scheduled backup ${schedule.id} at ${log.slot} not run: could not claim the slot: ${message(e)}`,
      );
      return { ...base, ran: false, outcome: 'error', error: message(e) };
    }
    if (!claimed) {
      this.backups.metrics.scheduledRuns.inc({ schedule: schedule.id, outcome: 'skipped' });
      this.logger.info(
        log,
        `scheduled backup ${schedule.id} at ${log.slot} skipped: another instance claimed the slot`,
      );
      return { ...base, ran: false, outcome: 'skipped' };
    }
    const r: ScheduleRunResult = { ...base, ran: true, outcome: 'error' };
    try {
      const { job, done } = await this.backups.startBackup(schedule.client_name, schedule.label);
      r.job_id = job.job_id;
      const f = await done;
      r.outcome =
        f.record.status === 'completed' ? 'completed' : f.record.status === 'cancelled' ? 'cancelled' : 'failed';
      if (f.error) r.error = message(f.error);
    } catch (e) {
      r.error = message(e);
    }
    if (r.outcome === 'completed' && schedule.keep_last !== null) {
      try {
        r.deleted = await this.backups.applyRetention(schedule.client_name, schedule.label, schedule.keep_last);
      } catch (e) {
        this.logger.warn(log, `retention of ${schedule.id} (keep_last ${schedule.keep_last}) failed: ${message(e)}`);
      }
    }
    this.backups.metrics.scheduledRuns.inc({ schedule: schedule.id, outcome: r.outcome });
    const line = `scheduled backup ${schedule.id} at ${log.slot}: ${r.outcome}${r.job_id !== null ? ` (job ${r.job_id})` : ''}${r.deleted.length ? `, retention deleted ${r.deleted.length}` : ''}${r.error ? `: ${r.error}` : ''}`;
    if (r.outcome === 'completed') this.logger.info({ ...log, job_id: r.job_id, deleted: r.deleted.length }, line);
    else this.logger.warn({ ...log, job_id: r.job_id }, line);
    await this.jobs
      .finishScheduleSlot(schedule.id, slot, { jobId: r.job_id, outcome: r.outcome, deleted: r.deleted.length })
      .catch((e) =>
        this.logger.warn(log, `could not record the outcome of ${schedule.id} at ${log.slot}: ${message(e)}`),
      );
    return r;
  }
}
