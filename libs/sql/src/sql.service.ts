import { Inject, Injectable } from '@nestjs/common';
import { AuthenticationService, AuthorizationService } from '@athena/auth';
import { ResponseCacheService, isPlainRead, leadingKeyword } from '@athena/cache';
import { CallOutcome, GatewayCall } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { RequestTarget, RequestTargetResolver } from '@athena/catalog';
import type { BackendKind } from '@athena/drivers';
import { CallAccounting } from '@athena/observability';
import { parseSqlRequest, SqlDriver } from './sql-request';
import { SqlErrors } from './errors';

/** Which client backend each `driver` value runs on. */
const BACKEND_FOR: Record<SqlDriver, BackendKind> = { postgresql: 'postgres', athena: 'scylla', supabase: 'supabase' };
const BACKEND_LABEL: Record<BackendKind, string> = {
  postgres: 'PostgreSQL',
  scylla: 'ScyllaDB/Cassandra',
  supabase: 'Supabase',
};

/** Right an API key needs for `/query/sql`. */
export const SQL_ROUTE_RIGHT = 'gateway.query';

/**
 * `POST /query/sql`: one raw statement on a client chosen by `X-Athena-Client` (or a direct connection, or
 * `db_name`), dispatched by `driver`. Relational answers use the envelope plus `db_name` and `duration`;
 * `athena` (CQL) answers a bare array of rows (reference §4.1). Statement timeout: `gateway.sql.statement_timeout_ms`.
 */
@Injectable()
export class SqlService {
  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly targets: RequestTargetResolver,
    private readonly accounting: CallAccounting,
    private readonly cache: ResponseCacheService,
    private readonly authn: AuthenticationService,
    private readonly authz: AuthorizationService,
  ) {}

  execute(call: GatewayCall, body: unknown): Promise<CallOutcome> {
    return this.accounting.account(call, 'sql', async (rec) => {
      const r = parseSqlRequest(body);
      // `db_name` names the client when the call does not: authenticate for it, so its enforcement override and
      // the key's client binding apply, then authorize.
      if (call.client === null && r.dbName) await this.authn.rebind(call, r.dbName, SQL_ROUTE_RIGHT);
      this.authz.authorize(call, SQL_ROUTE_RIGHT);
      const t = this.targets.resolve(call, r.dbName);
      const target: RequestTarget = t instanceof Promise ? await t : t;
      rec.client = target.name;
      rec.backend = target.backend;
      const want = BACKEND_FOR[r.driver];
      if (target.backend !== want) {
        throw SqlErrors.driverBackendMismatch(
          `Driver "${r.driver}" needs a ${BACKEND_LABEL[want]} client`,
          `Client "${target.name}" is a ${BACKEND_LABEL[target.backend]} client; use driver "${driverFor(target.backend)}" or name a ${BACKEND_LABEL[want]} client`,
        );
      }
      const started = performance.now();
      // Like /gateway/query: a statement that is not a plain read may change any table of the client, so every
      // cached answer of that client (on every instance sharing the Redis) is dropped before we answer — also when
      // it failed in a way that may have left it applied (5xx: timeout, lost connection).
      const res = await this.cache.write(
        target.driver.clientName,
        null,
        target.driver.defaultNamespace(),
        () => target.driver.rawQuery(r.query, [], { timeoutMs: this.config.gateway.sql.statement_timeout_ms }),
        (out) => !isPlainRead(r.query, out.command),
        !isPlainRead(r.query, leadingKeyword(r.query)),
      );
      const duration = Math.round(performance.now() - started);
      const max = this.config.gateway.max_rows;
      const truncated = res.rows.length > max;
      const rows = truncated ? res.rows.slice(0, max) : res.rows;
      rec.rowsReturned = rows.length;
      rec.rowsAffected = res.rowCount;
      if (r.driver === 'athena') return { body: rows, status: 200, truncated }; // bare array (reference §4.1)
      const envelope = {
        status: 'success',
        message: 'Successfully executed query',
        data: rows,
        db_name: r.dbName ?? target.name,
        duration,
        count: res.command === 'SELECT' ? rows.length : res.rowCount,
        command: res.command,
        ...(truncated ? { truncated: true } : {}),
      };
      return { body: envelope, status: 200 };
    });
  }
}

function driverFor(b: BackendKind): string {
  return b === 'postgres' ? 'postgresql' : b === 'scylla' ? 'athena' : 'supabase';
}
