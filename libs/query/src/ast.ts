/**
 * Backend-neutral model of a gateway request. Parsers (payload → AST) and compilers (AST → SQL/CQL)
 * meet here; nothing in this file knows about HTTP or a database.
 */
export type JsonScalar = string | number | boolean | null;
export type JsonValue = JsonScalar | JsonValue[] | { [key: string]: JsonValue };
export type Row = Record<string, unknown>;

export const OPERATORS = [
  'eq',
  'neq',
  'gt',
  'gte',
  'lt',
  'lte',
  'like',
  'ilike',
  'is',
  'in',
  'contains',
  'containedBy',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** A table, optionally schema-qualified (`public.users` → {schema:'public', name:'users'}). */
export interface TableRef {
  schema: string | null;
  name: string;
}

/** One filter. Entries in a list are ANDed. `negate` wraps it in NOT (PostgREST `not.` / the SDK's `not()`). */
export interface Condition {
  column: string;
  op: Operator;
  value: JsonValue;
  negate?: boolean;
}

/** A disjunction of conditions (PostgREST `or=(a.eq.1,b.is.null)`, the SDK's `or()`). */
export interface AnyOf {
  op: 'or';
  any: Condition[];
}

/** What a `conditions` list holds: plain conditions and OR groups, ANDed together. */
export type Filter = Condition | AnyOf;

export function isAnyOf(f: Filter): f is AnyOf {
  return f.op === 'or';
}

export interface SortSpec {
  column: string;
  direction: 'asc' | 'desc';
}

export type TimeGranularity = 'day' | 'hour' | 'minute';

export interface PostProcessingSpec {
  groupBy: string;
  timeGranularity: TimeGranularity | null;
  aggregationColumn: string | null;
  aggregationStrategy: 'cumulative_sum' | null;
  aggregationDedup: boolean;
}

export interface FetchQuery {
  kind: 'fetch';
  table: TableRef;
  /** null = all columns (`*`). */
  columns: string[] | null;
  conditions: Filter[];
  sort: SortSpec | null;
  /** Effective row limit (already capped by gateway.max_rows). */
  limit: number;
  offset: number;
  /**
   * True when `limit` was imposed or lowered by the `max_rows` cap: the compiler then asks for one
   * extra row so the driver can tell whether the answer was truncated (`truncated: true`).
   */
  probeTruncation: boolean;
  stripNulls: boolean;
  postProcessing: PostProcessingSpec | null;
  /**
   * Opaque paging token from a previous fetch's `page_state` (ScyllaDB/Cassandra only; hex text). Set only when
   * the caller sent one.
   */
  pageState?: string;
}

export interface InsertCommand {
  kind: 'insert';
  table: TableRef;
  /** One or more rows; a single-object `insert_body` becomes one row with `single: true`. */
  rows: Record<string, JsonValue>[];
  single: boolean;
  /** Conflict target for upserts; null = plain insert (or the primary key when updateBody is set). */
  onConflict: string[] | null;
  /** Columns to set on conflict; null with onConflict set = merge all inserted columns (EXCLUDED). */
  updateBody: Record<string, JsonValue> | null;
  /** RETURNING projection; null = `*`. */
  returning: string[] | null;
  /** `if_not_exists: true` (ScyllaDB/Cassandra: `INSERT … IF NOT EXISTS`). Set only when true. */
  ifNotExists?: boolean;
}

export interface UpdateCommand {
  kind: 'update';
  table: TableRef;
  set: Record<string, JsonValue>;
  /** Never empty: parsers refuse unfiltered updates. */
  conditions: Filter[];
  returning: string[] | null;
  stripNulls: boolean;
  postProcessing: PostProcessingSpec | null;
}

export interface DeleteCommand {
  kind: 'delete';
  table: TableRef;
  /** Never empty: `resource_id` is folded in as `eq` on the resource-id column (default `id`). */
  conditions: Filter[];
  resourceId: string | null;
  returning: string[] | null;
}

/** What a driver knows about a table, from introspection. */
export interface ColumnInfo {
  name: string;
  /** PostgreSQL `udt_name` (e.g. int4, text, uuid, jsonb, _text, timestamptz, numeric). */
  type: string;
  nullable: boolean;
  isArray: boolean;
}

export interface TableSchema {
  schema: string;
  name: string;
  /** Keyed by column name, in ordinal order. */
  columns: Map<string, ColumnInfo>;
  primaryKey: string[];
}

/** Parameterised statement: values are bound, never interpolated. */
export interface CompiledStatement {
  text: string;
  values: unknown[];
}
