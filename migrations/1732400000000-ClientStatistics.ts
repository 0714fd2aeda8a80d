import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Client statistics (reference control contract §2.5), kept current by the log writer's batches, and the
 * drilldown indexes on gateway_operation_log (client + table + operation, newest first; errors partial).
 */
export class ClientStatistics1732400000000 implements MigrationInterface {
  name = 'ClientStatistics1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS client_statistics (
        client_name text PRIMARY KEY,
        total_requests bigint NOT NULL DEFAULT 0,
        successful_requests bigint NOT NULL DEFAULT 0,
        failed_requests bigint NOT NULL DEFAULT 0,
        total_cached_requests bigint NOT NULL DEFAULT 0,
        total_operations bigint NOT NULL DEFAULT 0,
        last_request_at timestamptz,
        last_operation_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE IF NOT EXISTS client_table_statistics (
        client_name text NOT NULL,
        table_name text NOT NULL,
        operation text NOT NULL,
        total_operations bigint NOT NULL DEFAULT 0,
        error_operations bigint NOT NULL DEFAULT 0,
        last_operation_at timestamptz,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (client_name, table_name, operation)
      )`);
    await q.query(`CREATE INDEX IF NOT EXISTS gateway_operation_log_drilldown_idx
      ON gateway_operation_log (client_name, table_name, operation, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX IF NOT EXISTS gateway_operation_log_drilldown_errors_idx
      ON gateway_operation_log (client_name, table_name, operation, created_at DESC, id DESC)
      WHERE error OR status_code >= 400`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS gateway_operation_log_drilldown_errors_idx`);
    await q.query(`DROP INDEX IF EXISTS gateway_operation_log_drilldown_idx`);
    await q.query(`DROP TABLE IF EXISTS client_table_statistics`);
    await q.query(`DROP TABLE IF EXISTS client_statistics`);
  }
}
