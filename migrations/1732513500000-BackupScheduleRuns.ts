import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Claims of scheduled backups (backup.schedules): one row per (schedule, slot). The instance whose INSERT wins
 * runs the backup; every other instance whose cron fired for the same slot sees the conflict and skips.
 */
export class BackupScheduleRuns1732513500000 implements MigrationInterface {
  name = 'BackupScheduleRuns1732513500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS backup_schedule_runs (
        schedule_id text NOT NULL,
        slot timestamptz NOT NULL,
        execution_daemon_id text NOT NULL,
        job_id bigint,
        outcome text,
        deleted_objects integer NOT NULL DEFAULT 0,
        claimed_at timestamptz NOT NULL DEFAULT now(),
        finished_at timestamptz,
        PRIMARY KEY (schedule_id, slot)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS backup_schedule_runs`);
  }
}
