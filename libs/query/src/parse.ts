/**
 * Request payloads (already JSON-decoded) → AST. Every caller-supplied name is normalised (camel→snake toggle)
 * and validated against the identifier grammar here, so nothing unvalidated reaches a compiler.
 */
import { type AthenaError, ErrorRaiser, firstValue } from '@athena/common';
import {
  DeleteCommand,
  Filter,
  FetchQuery,
  InsertCommand,
  JsonValue,
  OPERATORS,
  Operator,
  PostProcessingSpec,
  SortSpec,
  TableRef,
  TimeGranularity,
  UpdateCommand,
} from './ast';
import { normalizeColumn } from './case';
import { assertIdentifier, describeValue, parseTableName } from './identifiers';
import { parseNotFilter, parseOrFilter } from './postgrest-filter';
import { QueryErrors } from './errors';

export interface ParseOptions {
  /** `gateway.force_camel_case_to_snake_case`: convert caller column names to snake_case. */
  camelToSnake: boolean;
  /** `gateway.max_rows`: the cap on any fetch. */
  maxRows: number;
  /** Raw `X-Strip-Nulls` header value, if any. */
  stripNullsHeader?: string;
}

export const INT32_MAX = 2147483647;
export const MAX_CONDITIONS = 100;
export const MAX_IN_ITEMS = 1000;
export const MAX_INSERT_ROWS = 1000;

type Body = Record<string, unknown>;

const OPERATOR_BY_LOWER: ReadonlyMap<string, Operator> = new Map(OPERATORS.map((o) => [o.toLowerCase(), o]));
const SUPPORTED_OPERATORS = [...OPERATORS, 'not', 'or'].join(', ');
const TRUTHY: ReadonlySet<string> = new Set(['true', '1', 'yes', 'on']);
const FALSY: ReadonlySet<string> = new Set(['false', '0', 'no', 'off', '']);
const ASCENDING: ReadonlySet<string> = new Set(['asc', 'ascending']);
const DESCENDING: ReadonlySet<string> = new Set(['desc', 'descending']);
const GRANULARITIES: ReadonlySet<string> = new Set<TimeGranularity>(['day', 'hour', 'minute']);
const INT_RE = /^[+-]?\d{1,10}$/;

// ---------------------------------------------------------------------------------------------------------------
// small helpers

function isObject(v: unknown): v is Body {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

function wrongType(field: string, expected: string, got: unknown): AthenaError {
  return QueryErrors.invalidRequest(
    `Invalid field "${field}": expected ${expected}`,
    `Field "${field}" must be ${expected}, got ${jsonType(got)}`,
  );
}

function asBody(body: unknown): Body {
  if (!isObject(body)) {
    throw QueryErrors.invalidRequest(
      'Request body must be a JSON object',
      `The request body must be a JSON object, got ${body === undefined ? 'nothing' : jsonType(body)}`,
    );
  }
  return body;
}

function isEmptyObject(o: Body): boolean {
  for (const _ in o) return false;
  return true;
}

/** Truthy header/query parsing: `true|1|yes|on`, case-insensitive. */
export function isTruthyFlag(v: string | undefined | null): boolean {
  return v != null && TRUTHY.has(v.trim().toLowerCase());
}

function readBool(b: Body, field: string): boolean | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    const s = v.trim().toLowerCase();
    if (TRUTHY.has(s)) return true;
    if (FALSY.has(s)) return false;
  } else if (v === 1 || v === 0) {
    return v === 1;
  }
  throw wrongType(field, 'a boolean', v);
}

function readString(b: Body, field: string): string | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw wrongType(field, 'a string', v);
  return v;
}

/** A non-negative 32-bit integer (or `min`..INT32_MAX); absent/null → undefined. */
function readCount(b: Body, field: string, min: number): number | undefined {
  const v = b[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number') throw wrongType(field, 'an integer', v);
  if (!Number.isInteger(v) || v < min || v > INT32_MAX) {
    throw QueryErrors.invalidLimit(
      `Invalid ${field} ${describeValue(v)}`,
      `${field} must be an integer between ${min} and ${INT32_MAX}, got ${describeValue(v)}`,
    );
  }
  return v;
}

function resolveStripNulls(b: Body, opts: ParseOptions): boolean {
  const v = readBool(b, 'strip_nulls');
  return v !== undefined ? v : isTruthyFlag(opts.stripNullsHeader);
}

// ---------------------------------------------------------------------------------------------------------------
// targets, columns

function readTable(b: Body, allowView: boolean): TableRef {
  const t = readString(b, 'table_name');
  const v = allowView ? readString(b, 'view_name') : undefined; // type-checked even when table_name wins
  if (t !== undefined) {
    const s = t.trim();
    if (s !== '') return parseTableName(s);
  }
  if (allowView) {
    if (v !== undefined) {
      const s = v.trim();
      if (s !== '') return parseTableName(s);
    }
  }
  throw QueryErrors.invalidRequest(
    allowView ? 'table_name or view_name is required' : 'table_name is required',
    allowView
      ? 'The body must name the target with "table_name" (or "view_name"), e.g. "users" or "public.users"'
      : 'The body must name the target with "table_name", e.g. "users" or "public.users"',
  );
}

function pushColumn(out: string[], raw: string, field: string, camelToSnake: boolean): boolean {
  const name = normalizeColumn(raw, camelToSnake);
  if (name === '') return true;
  if (name === '*') return false;
  assertIdentifier(name, `column name in "${field}"`);
  out.push(name);
  return true;
}

/**
 * `columns`-like field: an array of strings or a comma-separated string. Items are trimmed and normalised, empties
 * dropped. `*` (or nothing left) → null = all columns; with `allowStar` false a `*` is an invalid identifier.
 */
function readColumnList(v: unknown, field: string, camelToSnake: boolean, allowStar: boolean): string[] | null {
  if (v === undefined || v === null) return null;
  const out: string[] = [];
  if (typeof v === 'string') {
    let start = 0;
    for (;;) {
      const comma = v.indexOf(',', start);
      const part = comma < 0 ? v.slice(start) : v.slice(start, comma);
      if (!pushColumn(out, part, field, camelToSnake)) {
        if (allowStar) return null;
        assertIdentifier('*', `column name in "${field}"`);
      }
      if (comma < 0) break;
      start = comma + 1;
    }
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const item: unknown = v[i];
      if (typeof item !== 'string') throw wrongType(field, 'an array of strings or a comma-separated string', v);
      if (!pushColumn(out, item, field, camelToSnake)) {
        if (allowStar) return null;
        assertIdentifier('*', `column name in "${field}"`);
      }
    }
  } else {
    throw wrongType(field, 'an array of strings or a comma-separated string', v);
  }
  return out.length > 0 ? out : null;
}

/**
 * Object of column → value (insert rows, update_body). Keys are normalised and validated. When no key changes the
 * object is returned as-is (no copy); otherwise a new object is built, refusing two keys that collapse into one.
 */
function readRecord(o: Body, field: string, camelToSnake: boolean, invalid: ErrorRaiser): Record<string, JsonValue> {
  let changed = false;
  for (const k in o) {
    const n = normalizeColumn(k, camelToSnake);
    if (n !== k) {
      changed = true;
      break;
    }
    assertIdentifier(k, `column name in "${field}"`);
  }
  if (!changed) return o as Record<string, JsonValue>;
  const out: Record<string, JsonValue> = {};
  for (const k in o) {
    const n = normalizeColumn(k, camelToSnake);
    assertIdentifier(n, `column name in "${field}"`);
    if (Object.prototype.hasOwnProperty.call(out, n)) {
      throw invalid(
        `Duplicate column "${n}" in ${field}`,
        `Keys of ${field} map to the same column "${n}" after normalisation`,
      );
    }
    const value = o[k] as JsonValue;
    if (n === '__proto__')
      Object.defineProperty(out, n, { value, enumerable: true, writable: true, configurable: true });
    else out[n] = value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// conditions

function isScalar(v: unknown): v is string | number | boolean | null {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

function badValue(op: Operator, column: string, expected: string, v: unknown): AthenaError {
  return QueryErrors.invalidConditionValue(
    `Invalid value for "${op}" condition on "${column}"`,
    `The "${op}" condition on "${column}" needs ${expected}, got ${v === undefined ? 'no value' : describeValue(v)}`,
  );
}

function checkValue(op: Operator, column: string, v: unknown): JsonValue {
  switch (op) {
    case 'eq':
    case 'neq':
      if (!isScalar(v)) throw badValue(op, column, 'a scalar value (string, number, boolean or null)', v);
      return v;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      if (v === null || !isScalar(v))
        throw badValue(op, column, 'a non-null scalar value (string, number or boolean)', v);
      return v;
    case 'like':
    case 'ilike':
      if (typeof v !== 'string') throw badValue(op, column, 'a string pattern', v);
      return v;
    case 'is':
      if (v !== null && v !== true && v !== false) throw badValue(op, column, 'null, true or false', v);
      return v;
    case 'in': {
      if (!Array.isArray(v)) throw badValue(op, column, `an array of scalar values (at most ${MAX_IN_ITEMS})`, v);
      if (v.length > MAX_IN_ITEMS) {
        throw QueryErrors.invalidConditionValue(
          `Too many values for "in" condition on "${column}"`,
          `The "in" condition on "${column}" has ${v.length} values; at most ${MAX_IN_ITEMS} are allowed`,
        );
      }
      for (let i = 0; i < v.length; i++) {
        if (!isScalar(v[i]))
          throw badValue(op, column, 'an array of scalar values (string, number, boolean or null)', v);
      }
      return v as JsonValue;
    }
    case 'contains':
    case 'containedBy':
      if (typeof v !== 'object' || v === null) throw badValue(op, column, 'an array or an object', v);
      return v as JsonValue;
  }
}

function parseCondition(raw: unknown, index: number, camelToSnake: boolean): Filter | null {
  if (!isObject(raw)) {
    throw QueryErrors.invalidFetchCondition(
      `Invalid condition at index ${index}`,
      `Condition at index ${index} must be an object like {"column","operator","value"} or {"eq_column","eq_value"}, got ${jsonType(raw)}`,
    );
  }
  if (isEmptyObject(raw)) return null;

  let op: Operator;
  let col: unknown;
  let value: unknown;
  const opRaw = raw.operator;
  if (typeof opRaw === 'string') {
    // The SDK's PostgREST-style expressions: {"operator":"not","value":"qty.eq.2"}, {"operator":"or","value":"a.eq.1,b.is.null"}.
    const lower = opRaw.toLowerCase();
    if (lower === 'or') return parseOrFilter(raw.value, camelToSnake);
    if (lower === 'not' && (raw.column === undefined || raw.column === null))
      return parseNotFilter(raw.value, camelToSnake);
  }
  if (opRaw !== undefined && opRaw !== null) {
    // Operator shape: {column|eq_column, operator, value|eq_value}. `in` keeps an explicit null value.
    const found = typeof opRaw === 'string' ? OPERATOR_BY_LOWER.get(opRaw.toLowerCase()) : undefined;
    if (found === undefined) {
      throw QueryErrors.invalidFetchCondition(
        `Unsupported condition operator ${describeValue(opRaw)}`,
        `Unsupported condition operator ${describeValue(opRaw)} at index ${index}; supported operators: ${SUPPORTED_OPERATORS}`,
      );
    }
    op = found;
    col = raw.column !== undefined && raw.column !== null ? raw.column : raw.eq_column;
    value = 'value' in raw ? raw.value : raw.eq_value;
  } else {
    // Legacy 2.x shape: {eq_column, eq_value} (tolerating column/value spellings).
    op = 'eq';
    col = raw.eq_column !== undefined && raw.eq_column !== null ? raw.eq_column : raw.column;
    value = 'eq_value' in raw ? raw.eq_value : raw.value;
  }

  if (typeof col !== 'string' || col.trim() === '') {
    throw QueryErrors.invalidFetchCondition(
      `Condition at index ${index} has no column`,
      `Condition at index ${index} must name a column with "column" or "eq_column"`,
    );
  }
  const column = normalizeColumn(col, camelToSnake);
  assertIdentifier(column, 'condition column');
  if (value === undefined) throw badValue(op, column, 'a value', undefined);
  return { column, op, value: checkValue(op, column, value) };
}

function readConditions(v: unknown, camelToSnake: boolean): Filter[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw wrongType('conditions', 'an array of condition objects', v);
  if (v.length > MAX_CONDITIONS) {
    throw QueryErrors.invalidFetchCondition(
      `Too many conditions (${v.length})`,
      `A request may carry at most ${MAX_CONDITIONS} conditions, got ${v.length}`,
    );
  }
  const out: Filter[] = [];
  for (let i = 0; i < v.length; i++) {
    const c = parseCondition(v[i], i, camelToSnake);
    if (c !== null) out.push(c);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// sort, post-processing

const SORT_HINT = 'sort_by must be an object {"field": "<column>", "direction": "asc|desc"}';

function readSort(b: Body, camelToSnake: boolean): SortSpec | null {
  let s = b.sort_by;
  let name = 'sort_by';
  if (s === undefined || s === null) {
    s = b.sortBy;
    name = 'sortBy';
  }
  if (s === undefined || s === null) return null;
  if (!isObject(s)) throw QueryErrors.invalidSort(`Invalid ${name}`, `${SORT_HINT}, got ${describeValue(s)}`);
  // The direction is checked even when no field follows: garbage is refused, never silently ignored.
  const d = s.direction;
  let direction: 'asc' | 'desc' = 'asc';
  if (d !== undefined && d !== null) {
    const v = typeof d === 'string' ? d.trim().toLowerCase() : null;
    if (v !== null && ASCENDING.has(v)) direction = 'asc';
    else if (v !== null && DESCENDING.has(v)) direction = 'desc';
    else
      throw QueryErrors.invalidSort(
        `Invalid ${name}.direction ${describeValue(d)}`,
        `The direction must be "asc"/"ascending" or "desc"/"descending" (any case), got ${describeValue(d)}`,
      );
  }
  const f = s.field !== undefined && s.field !== null ? s.field : s.column;
  if (f === undefined || f === null) return null;
  if (typeof f !== 'string')
    throw QueryErrors.invalidSort(
      `Invalid ${name}.field`,
      `${SORT_HINT}; the field must be a column name, got ${describeValue(f)}`,
    );
  const column = normalizeColumn(f, camelToSnake);
  if (column === '') return null;
  assertIdentifier(column, 'sort column');
  return { column, direction };
}

function readPostProcessing(b: Body, camelToSnake: boolean): PostProcessingSpec | null {
  // Field types are checked even without group_by (a wrong type is refused); their values only with it.
  const gb = readString(b, 'group_by');
  const tg = readString(b, 'time_granularity');
  const ac = readString(b, 'aggregation_column');
  const as = readString(b, 'aggregation_strategy');
  const dedup = readBool(b, 'aggregation_dedup');
  if (gb === undefined) return null;
  const groupBy = normalizeColumn(gb, camelToSnake);
  if (groupBy === '') return null;
  assertIdentifier(groupBy, 'group_by column');

  let timeGranularity: TimeGranularity | null = null;
  if (tg !== undefined && tg.trim() !== '') {
    const g = tg.trim().toLowerCase();
    if (!GRANULARITIES.has(g)) {
      throw QueryErrors.invalidPostProcessingConfiguration(
        `Unsupported time_granularity '${tg}'`,
        `Unsupported time_granularity '${tg}'; supported values: day, hour, minute`,
      );
    }
    timeGranularity = g as TimeGranularity;
  }

  let aggregationColumn: string | null = null;
  if (ac !== undefined) {
    const n = normalizeColumn(ac, camelToSnake);
    if (n !== '') {
      assertIdentifier(n, 'aggregation_column');
      aggregationColumn = n;
    }
  }

  let aggregationStrategy: 'cumulative_sum' | null = null;
  if (as !== undefined && as.trim() !== '') {
    if (as.trim().toLowerCase() !== 'cumulative_sum') {
      throw QueryErrors.invalidPostProcessingConfiguration(
        `Unsupported aggregation_strategy '${as}'`,
        `Unsupported aggregation_strategy '${as}'; supported values: cumulative_sum`,
      );
    }
    aggregationStrategy = 'cumulative_sum';
  }
  if (aggregationStrategy !== null && aggregationColumn === null) {
    throw QueryErrors.invalidPostProcessingConfiguration('aggregation_strategy requires aggregation_column');
  }

  return {
    groupBy,
    timeGranularity,
    aggregationColumn,
    aggregationStrategy,
    aggregationDedup: dedup ?? false,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// public parsers

function buildFetch(b: Body, opts: ParseOptions): FetchQuery {
  const c2s = opts.camelToSnake;
  const table = readTable(b, true);
  const columns = readColumnList(b.columns, 'columns', c2s, true);
  const conditions = readConditions(b.conditions, c2s);

  let limit = readCount(b, 'limit', 0);
  let offset = readCount(b, 'offset', 0);
  const page = readCount(b, 'current_page', 1);
  const pageSize = readCount(b, 'page_size', 0);
  if (pageSize !== undefined) {
    if (limit === undefined) limit = pageSize;
    if (offset === undefined) {
      const o = ((page ?? 1) - 1) * pageSize;
      if (o > INT32_MAX) {
        throw QueryErrors.invalidLimit(
          'Page offset out of range',
          `(current_page - 1) * page_size must be between 0 and ${INT32_MAX}, got ${o}`,
        );
      }
      offset = o;
    }
  }
  let probeTruncation = false;
  if (limit === undefined || limit > opts.maxRows) {
    limit = opts.maxRows;
    probeTruncation = true;
  }

  const q: FetchQuery = {
    kind: 'fetch',
    table,
    columns,
    conditions,
    sort: readSort(b, c2s),
    limit,
    offset: offset ?? 0,
    probeTruncation,
    stripNulls: resolveStripNulls(b, opts),
    postProcessing: readPostProcessing(b, c2s),
  };
  const pageState = readPageState(b);
  if (pageState !== undefined) q.pageState = pageState;
  return q;
}

export const MAX_PAGE_STATE_LENGTH = 8192;
const PAGE_STATE_RE = /^[0-9a-f]+$/i;

/** `page_state`: the opaque token a previous ScyllaDB/Cassandra fetch returned (hex text, bounded). */
function readPageState(b: Body): string | undefined {
  const v = readString(b, 'page_state');
  if (v === undefined || v === '') return undefined;
  if (v.length > MAX_PAGE_STATE_LENGTH || !PAGE_STATE_RE.test(v)) {
    throw QueryErrors.invalidPageState(
      'Invalid page_state',
      `page_state must be the token a previous fetch returned (hex text of at most ${MAX_PAGE_STATE_LENGTH} characters)`,
    );
  }
  return v;
}

/** Body of `POST /gateway/fetch` and `POST /gateway/data`. */
export function parseFetchPayload(body: unknown, opts: ParseOptions): FetchQuery {
  return buildFetch(asBody(body), opts);
}

/** Query-string integer (absent → undefined); anything that is not an integer → 400 (range is checked by readCount). */
function queryInt(k: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!INT_RE.test(v)) {
    throw QueryErrors.invalidLimit(
      `Invalid ${k} ${describeValue(v)}`,
      `${k} must be an integer between 0 and ${INT32_MAX}, got ${describeValue(v)}`,
    );
  }
  return Number(v);
}

const DATA_INT_PARAMS = ['limit', 'offset', 'current_page', 'page_size'] as const;
const DATA_STRING_PARAMS = ['group_by', 'time_granularity', 'aggregation_column', 'aggregation_strategy'] as const;

/** Query parameters of `GET /data`; mapped onto the fetch body and parsed by the same code. */
export function parseDataQuery(query: Record<string, string | string[] | undefined>, opts: ParseOptions): FetchQuery {
  const view = firstValue(query.view);
  if (view === undefined || view.trim() === '') {
    throw QueryErrors.invalidRequest(
      'Query parameter "view" is required',
      'GET /data needs ?view=<table or schema.table>',
    );
  }
  const b: Body = { table_name: view };
  const eqColumn = firstValue(query.eq_column);
  const eqValue = firstValue(query.eq_value);
  if (eqColumn !== undefined && eqValue !== undefined) b.conditions = [{ eq_column: eqColumn, eq_value: eqValue }];
  const columns = firstValue(query.columns);
  if (columns !== undefined) b.columns = columns;
  for (const k of DATA_INT_PARAMS) {
    const n = queryInt(k, firstValue(query[k]));
    if (n !== undefined) b[k] = n;
  }
  const strip = firstValue(query.strip_nulls);
  if (strip !== undefined) b.strip_nulls = isTruthyFlag(strip);
  for (const k of DATA_STRING_PARAMS) {
    const v = firstValue(query[k]);
    if (v !== undefined) b[k] = v;
  }
  const dedup = firstValue(query.aggregation_dedup);
  if (dedup !== undefined) b.aggregation_dedup = isTruthyFlag(dedup);
  const sortBy = firstValue(query.sort_by);
  if (sortBy !== undefined) b.sort_by = { field: sortBy, direction: firstValue(query.sort_direction) };
  const pageState = firstValue(query.page_state);
  if (pageState !== undefined) b.page_state = pageState;
  return buildFetch(b, opts);
}

/** Body of `PUT /gateway/insert` (insert and upsert). */
export function parseInsertPayload(body: unknown, opts: ParseOptions): InsertCommand {
  const b = asBody(body);
  const c2s = opts.camelToSnake;
  const table = readTable(b, false);
  const ib = b.insert_body;
  let rows: Record<string, JsonValue>[];
  let single: boolean;
  if (ib === undefined || ib === null) {
    throw QueryErrors.invalidInsertPayload(
      'insert_body is required',
      'insert_body must be an object (one row) or a non-empty array of objects',
    );
  } else if (Array.isArray(ib)) {
    if (ib.length === 0) {
      throw QueryErrors.invalidInsertPayload(
        'insert_body must not be an empty array',
        'insert_body must contain at least one row',
      );
    }
    if (ib.length > MAX_INSERT_ROWS) {
      throw QueryErrors.invalidInsertPayload(
        `Too many rows in insert_body (${ib.length})`,
        `insert_body may hold at most ${MAX_INSERT_ROWS} rows per request, got ${ib.length}`,
      );
    }
    rows = new Array<Record<string, JsonValue>>(ib.length);
    for (let i = 0; i < ib.length; i++) {
      const r: unknown = ib[i];
      if (!isObject(r)) {
        throw QueryErrors.invalidInsertPayload(
          `insert_body[${i}] must be an object`,
          `Every row of insert_body must be an object of column → value; row ${i} is ${jsonType(r)}`,
        );
      }
      rows[i] = readRecord(r, 'insert_body', c2s, QueryErrors.invalidInsertPayload);
    }
    single = false;
  } else if (isObject(ib)) {
    rows = [readRecord(ib, 'insert_body', c2s, QueryErrors.invalidInsertPayload)];
    single = true;
  } else {
    throw QueryErrors.invalidInsertPayload(
      'insert_body must be an object or an array of objects',
      `insert_body must be an object (one row) or a non-empty array of objects, got ${jsonType(ib)}`,
    );
  }

  let updateBody: Record<string, JsonValue> | null = null;
  const ub = b.update_body;
  if (ub !== undefined && ub !== null) {
    if (!isObject(ub)) {
      throw QueryErrors.invalidInsertPayload(
        'update_body must be an object',
        `update_body must be an object of column → value, got ${jsonType(ub)}`,
      );
    }
    if (isEmptyObject(ub)) {
      throw QueryErrors.invalidInsertPayload(
        'update_body must not be empty',
        'update_body, when present, must set at least one column',
      );
    }
    updateBody = readRecord(ub, 'update_body', c2s, QueryErrors.invalidInsertPayload);
  }

  const c: InsertCommand = {
    kind: 'insert',
    table,
    rows,
    single,
    onConflict: readColumnList(b.on_conflict, 'on_conflict', c2s, false),
    updateBody,
    returning: readColumnList(b.columns, 'columns', c2s, true),
  };
  if (readBool(b, 'if_not_exists') === true) c.ifNotExists = true;
  return c;
}

/** Body of `POST /gateway/update`: the fetch targeting fields plus `update_body`. */
export function parseUpdatePayload(body: unknown, opts: ParseOptions): UpdateCommand {
  const b = asBody(body);
  const c2s = opts.camelToSnake;
  const table = readTable(b, true);
  const ub = b.update_body;
  if (ub === undefined || ub === null) {
    throw QueryErrors.invalidUpdatePayload(
      'update_body is required',
      'update_body must be a non-empty object of column → new value',
    );
  }
  if (!isObject(ub)) {
    throw QueryErrors.invalidUpdatePayload(
      'update_body must be an object',
      `update_body must be a non-empty object of column → new value, got ${jsonType(ub)}`,
    );
  }
  if (isEmptyObject(ub)) {
    throw QueryErrors.invalidUpdatePayload('update_body must not be empty', 'update_body must set at least one column');
  }
  const set = readRecord(ub, 'update_body', c2s, QueryErrors.invalidUpdatePayload);
  const conditions = readConditions(b.conditions, c2s);
  if (conditions.length === 0) {
    throw QueryErrors.invalidFetchCondition(
      'An update needs at least one condition',
      'An update needs at least one condition in "conditions"; full-table updates are refused',
    );
  }
  return {
    kind: 'update',
    table,
    set,
    conditions,
    returning: readColumnList(b.columns, 'columns', c2s, true),
    stripNulls: resolveStripNulls(b, opts),
    postProcessing: readPostProcessing(b, c2s),
  };
}

/** Body of `DELETE /gateway/delete`: `resource_id` and/or `conditions` (ANDed). */
export function parseDeletePayload(body: unknown, opts: ParseOptions): DeleteCommand {
  const b = asBody(body);
  const c2s = opts.camelToSnake;
  const table = readTable(b, false);
  const rid = b.resource_id;
  let resourceId: string | null = null;
  if (rid !== undefined && rid !== null) {
    if (typeof rid === 'string') {
      if (rid.trim() === '')
        throw QueryErrors.invalidDeletePayload(
          'resource_id must not be empty',
          'resource_id, when present, must be a non-empty string or a number',
        );
    } else if (typeof rid !== 'number' || !Number.isFinite(rid)) {
      throw wrongType('resource_id', 'a string or a number', rid);
    }
    resourceId = String(rid);
  }
  const conditions = readConditions(b.conditions, c2s);
  if (resourceId !== null) {
    let column = 'id';
    const rc = b.resource_id_column;
    if (rc !== undefined && rc !== null) {
      if (typeof rc !== 'string') {
        throw QueryErrors.invalidDeleteResourceIdColumn(
          'resource_id_column must be a string',
          `resource_id_column must be a column name string, got ${jsonType(rc)}`,
        );
      }
      const n = normalizeColumn(rc, c2s);
      if (n !== '') {
        assertIdentifier(n, 'resource_id_column');
        column = n;
      }
    }
    conditions.unshift({ column, op: 'eq', value: rid as string | number });
  }
  if (conditions.length === 0) {
    throw QueryErrors.invalidDeletePayload(
      'delete needs resource_id or at least one condition',
      'delete needs resource_id or at least one condition; full-table deletes are refused',
    );
  }
  return {
    kind: 'delete',
    table,
    conditions,
    resourceId,
    returning: readColumnList(b.columns, 'columns', c2s, true),
  };
}
