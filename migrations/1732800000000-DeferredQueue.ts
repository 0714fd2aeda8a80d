import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The deferred request queue (reference gateway contract §6.2, control contract §2.6). One row per deferred
 * call: what to run (kind, route, method, payload, client), who asked (the stored identity, never a secret),
 * where it is (status, attempts, lease) and what came out (size-capped result, error). Claimed with
 * `FOR UPDATE SKIP LOCKED`; `attempts` counts claims.
 */
export class DeferredQueue1732800000000 implements MigrationInterface {
  name = 'DeferredQueue1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE IF NOT EXISTS gateway_deferred_request_queue (
        request_id text PRIMARY KEY CHECK (length(request_id) BETWEEN 1 AND 128),
        kind text NOT NULL CHECK (kind IN ('fetch', 'query', 'insert', 'update', 'delete')),
        client_name text,
        route text NOT NULL,
        method text NOT NULL,
        payload jsonb NOT NULL,
        call jsonb NOT NULL DEFAULT '{}'::jsonb,
        read_only boolean NOT NULL,
        principal_kind text NOT NULL,
        api_key_id uuid,
        api_key_public_id text,
        rights_scope text NOT NULL,
        owner_client text,
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed')),
        attempts integer NOT NULL DEFAULT 0,
        reason text,
        result jsonb,
        result_status integer,
        truncated boolean NOT NULL DEFAULT false,
        error text,
        lease_owner text,
        lease_until timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        available_at timestamptz NOT NULL DEFAULT now(),
        started_at timestamptz,
        completed_at timestamptz
      )`);
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_deferred_queue_ready_idx ON gateway_deferred_request_queue (available_at, created_at) WHERE status = 'queued'`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_deferred_queue_lease_idx ON gateway_deferred_request_queue (lease_until) WHERE status = 'running'`,
    );
    await q.query(
      `CREATE INDEX IF NOT EXISTS gateway_deferred_queue_done_idx ON gateway_deferred_request_queue (completed_at) WHERE status IN ('completed', 'failed')`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS gateway_deferred_request_queue`);
  }
}
