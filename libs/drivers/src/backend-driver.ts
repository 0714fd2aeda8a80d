import type {
  DeleteCommand,
  FetchQuery,
  InsertCommand,
  Row,
  TableRef,
  TableSchema,
  UpdateCommand,
} from '@athena/query';

export type BackendKind = 'postgres' | 'scylla' | 'supabase';

export interface FetchResult {
  rows: Row[];
  /** True when the `gateway.max_rows` cap cut the answer short. */
  truncated: boolean;
  /** ScyllaDB/Cassandra: opaque token for the next page (null = last page); absent for other backends. */
  pageState?: string | null;
}

/**
 * The answer to a fetch compiled with the truncation probe (one row over `limit` when `gateway.max_rows` capped
 * it): the extra row, if it came back, is dropped and reported as `truncated`.
 */
export function capRows(rows: Row[], q: Pick<FetchQuery, 'limit' | 'probeTruncation'>): FetchResult {
  if (q.probeTruncation && rows.length > q.limit) return { rows: rows.slice(0, q.limit), truncated: true };
  return { rows, truncated: false };
}

export interface MutationResult {
  /** Affected rows as returned by the backend (`RETURNING`). */
  rows: Row[];
  count: number;
}

export interface RawQueryResult {
  rows: Row[];
  /** Rows affected (DML) or returned (SELECT). */
  rowCount: number;
  /** Statement tag, e.g. SELECT, INSERT, UPDATE. */
  command: string;
}

export interface RawQueryOptions {
  /** Per-statement timeout for this call (ms; 0 = none). Absent → the client's default. */
  timeoutMs?: number;
}

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * The driver port: the only way the gateway reaches a user database. One adapter instance per client,
 * each with its own bounded pool. Adapters compile the backend-neutral AST to their own language with
 * bound parameters, and throw `AthenaError` with stable codes.
 */
export abstract class BackendDriver {
  abstract readonly backend: BackendKind;
  abstract readonly clientName: string;
  abstract fetch(query: FetchQuery): Promise<FetchResult>;
  abstract insert(command: InsertCommand): Promise<MutationResult>;
  abstract update(command: UpdateCommand): Promise<MutationResult>;
  abstract delete(command: DeleteCommand): Promise<MutationResult>;
  /**
   * Where an unqualified table name resolves on this backend (PostgreSQL `public`; a ScyllaDB client's keyspace;
   * a Supabase client's schema). Used to give one table one identity whatever its spelling (e.g. cache keys).
   */
  defaultNamespace(): string {
    return 'public';
  }
  abstract rawQuery(sql: string, params?: unknown[], opts?: RawQueryOptions): Promise<RawQueryResult>;
  abstract ping(timeoutMs?: number): Promise<void>;
  abstract describe(table: TableRef): Promise<TableSchema>;
  abstract poolStats(): PoolStats;
  abstract close(): Promise<void>;
}
