import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Cheaper log writes (issue 15). Every gateway call appends one `gateway_request_log` and one
 * `gateway_operation_log` row, and each btree index costs a random-page insert plus its WAL per row.
 * - `created_at` is append-ordered (rows arrive in time order): a BRIN index answers time-range scans and
 *   retention deletes at a fraction of a btree's maintenance cost (one summary per 128 pages).
 * - `gateway_operation_log (client_name, table_name, created_at)` is covered by the drilldown index
 *   `(client_name, table_name, operation, created_at DESC, id DESC)`, whose prefix serves the same lookups.
 */
export class LogIndexes1733000000000 implements MigrationInterface {
  name = 'LogIndexes1733000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS gateway_request_log_created_at_idx`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_request_log_created_at_brin ON gateway_request_log USING brin (created_at)`,
    );
    await q.query(`DROP INDEX IF EXISTS gateway_operation_log_created_at_idx`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_operation_log_created_at_brin ON gateway_operation_log USING brin (created_at)`,
    );
    await q.query(`DROP INDEX IF EXISTS gateway_operation_log_client_table_idx`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_operation_log_client_table_idx ON gateway_operation_log (client_name, table_name, created_at)`,
    );
    await q.query(`DROP INDEX IF EXISTS gateway_operation_log_created_at_brin`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_operation_log_created_at_idx ON gateway_operation_log (created_at)`,
    );
    await q.query(`DROP INDEX IF EXISTS gateway_request_log_created_at_brin`);
    await q.query(`CREATE INDEX IF NOT EXISTS gateway_request_log_created_at_idx ON gateway_request_log (created_at)`);
  }
}
