/**
 * AST + introspected table (from `system_schema`) → prepared, bound CQL for ScyllaDB/Cassandra.
 *
 * CQL serves what its data model can answer from the primary key: equality / IN on the whole partition key,
 * equality / IN / ranges on a prefix of the clustering key, equality on indexed columns, and ordering along the
 * clustering order. Anything else would need a full scan (`ALLOW FILTERING`) or has no CQL form at all
 * (like, or, not, null tests) and fails with **422 `unsupported_by_backend`** naming the reason. Filters that
 * only need filtering are accepted when the client's config sets `allow_filtering: true` (then the statement
 * ends with `ALLOW FILTERING`). Values are always bound (`?`), identifiers always validated and quoted.
 */
import { AthenaError } from '@athena/common';
import { isAnyOf } from './ast';
import type {
  ColumnInfo,
  Condition,
  DeleteCommand,
  FetchQuery,
  Filter,
  InsertCommand,
  JsonValue,
  TableSchema,
  UpdateCommand,
} from './ast';
import { checkPostProcessing, column, projection, quotedTable, tableLabel } from './compile-shared';
import { quoteIdent } from './identifiers';
import { QueryErrors } from './errors';

export type ClusteringOrder = 'asc' | 'desc';

/** What the Scylla adapter knows about a table (a TableSchema plus the CQL key layout and indexes). */
export interface CqlTableSchema extends TableSchema {
  /** Partition key columns, in order. */
  partitionKey: string[];
  /** Clustering columns, in order, with their declared order. */
  clustering: Array<{ name: string; order: ClusteringOrder }>;
  /** Non-key columns with a secondary index: `sai` (storage-attached: eq and ranges) or `legacy` (eq only). */
  indexes: Map<string, 'sai' | 'legacy'>;
}

export interface CqlCompileOptions {
  /** `scylla_clients.<name>.allow_filtering`: accept filters that need `ALLOW FILTERING` instead of answering 422. */
  allowFiltering: boolean;
}

/** One prepared statement: `?` placeholders, values in order. */
export interface CqlStatement {
  text: string;
  values: unknown[];
}

export interface CompiledCqlFetch extends CqlStatement {
  /** Page size for the driver (`fetchSize`): the request's effective limit. */
  fetchSize: number;
  /** True when the answer is known to be empty without asking (`in: []`, `limit: 0`). */
  empty: boolean;
}

export interface CompiledCqlInsert {
  /** One INSERT per row; several run as one logged BATCH (atomic). */
  statements: CqlStatement[];
  /** `IF NOT EXISTS` was requested: the result carries `[applied]`. */
  conditional: boolean;
  /** The rows as written (CQL has no RETURNING), projected on the requested columns. */
  rows: Record<string, JsonValue>[];
}

export interface CompiledCqlKeyed {
  /** The mutation (`UPDATE … IF EXISTS` / `DELETE …`). */
  statement: CqlStatement;
  /** Reads the addressed row back (after an update, before a delete) for the response's `data`. */
  read: CqlStatement;
}

const RANGE_OPS = new Set(['gt', 'gte', 'lt', 'lte']);
const RANGE_SQL: Record<string, string> = { gt: '>', gte: '>=', lt: '<', lte: '<=' };

// ---------------------------------------------------------------------------------------------------------------
// helpers

export function unsupportedByBackend(reason: string, detail: string): AthenaError {
  return QueryErrors.unsupportedByBackend(`Not supported on ScyllaDB/Cassandra: ${reason}`, detail);
}

/** `frozen<list<int>>` → `list<int>`. */
function baseType(t: string): string {
  let s = t.trim();
  while (s.startsWith('frozen<') && s.endsWith('>')) s = s.slice(7, -1).trim();
  return s;
}

export function isCollectionType(t: string): boolean {
  return /^(list|set|map)</.test(baseType(t));
}

/** A value bound to a column: blobs take `0x…` hex or base64 text; everything else goes as JSON to the driver. */
function bindValue(c: ColumnInfo, v: JsonValue): unknown {
  if (v === null) return null;
  if (baseType(c.type) === 'blob') {
    if (typeof v !== 'string') {
      throw QueryErrors.invalidValue(
        `Invalid value for blob column "${c.name}"`,
        `Column "${c.name}" is a blob: send "0x…" hex or base64 text`,
      );
    }
    return /^0x[0-9a-f]*$/i.test(v) ? Buffer.from(v.slice(2), 'hex') : Buffer.from(v, 'base64');
  }
  return v;
}

/** Refuses what CQL cannot express at all, whatever `allow_filtering` says. Returns the plain condition. */
function plainCondition(f: Filter): Condition {
  if (isAnyOf(f)) {
    throw unsupportedByBackend(
      '"or" conditions',
      'CQL has no OR; run one request per alternative (or use IN on a key column)',
    );
  }
  if (f.negate) {
    throw unsupportedByBackend(
      `"not" on column "${f.column}"`,
      'CQL cannot negate a condition; restate it positively (eq, in, or a range on a key column)',
    );
  }
  switch (f.op) {
    case 'like':
    case 'ilike':
      throw unsupportedByBackend(
        `"${f.op}" on column "${f.column}"`,
        'CQL has no pattern matching without a text index; filter on key columns instead',
      );
    case 'neq':
      throw unsupportedByBackend(
        `"neq" on column "${f.column}"`,
        'CQL has no != in WHERE; use eq, in or a range on a key column',
      );
    case 'is':
      throw unsupportedByBackend(
        `"is" on column "${f.column}"`,
        'CQL cannot filter on null or boolean identity; use eq on a key column',
      );
    case 'containedBy':
      throw unsupportedByBackend(
        `"containedBy" on column "${f.column}"`,
        'CQL has no containment-by test; use contains on an indexed collection column',
      );
    case 'eq':
      if (f.value === null) {
        throw unsupportedByBackend(`eq null on column "${f.column}"`, 'CQL cannot select rows by a null value');
      }
      return f;
    default:
      return f;
  }
}

interface Restriction {
  cond: Condition;
  info: ColumnInfo;
}

/** Groups conditions by column, validating each column and operator. */
function restrictions(filters: Filter[], s: TableSchema): Map<string, Restriction[]> {
  const by = new Map<string, Restriction[]>();
  for (const f of filters) {
    const c = plainCondition(f);
    const info = column(s, c.column);
    if (c.op === 'in') {
      if (!Array.isArray(c.value)) {
        throw QueryErrors.invalidConditionValue(
          `Invalid value for "in" condition on "${c.column}"`,
          '"in" takes an array of scalar values',
        );
      }
    }
    if (c.op === 'contains' && !isCollectionType(info.type)) {
      throw unsupportedByBackend(
        `"contains" on column "${c.column}"`,
        `"contains" needs a list, set or map column; "${c.column}" is ${info.type}`,
      );
    }
    const list = by.get(c.column);
    if (list) list.push({ cond: c, info });
    else by.set(c.column, [{ cond: c, info }]);
  }
  return by;
}

function conflicting(col: string): AthenaError {
  return QueryErrors.invalidFetchCondition(
    `Conflicting conditions on "${col}"`,
    `Column "${col}" takes one eq/in condition, or at most one lower and one upper bound`,
  );
}

function isRangeSet(rs: Restriction[], col: string): boolean {
  let lower = 0;
  let upper = 0;
  for (const r of rs) {
    if (!RANGE_OPS.has(r.cond.op)) return false;
    if (r.cond.op === 'gt' || r.cond.op === 'gte') lower++;
    else upper++;
  }
  if (lower > 1 || upper > 1) throw conflicting(col);
  return true;
}

function render(r: Restriction, values: unknown[]): string {
  const q = quoteIdent(r.cond.column);
  const v = r.cond.value;
  switch (r.cond.op) {
    case 'eq':
      values.push(bindValue(r.info, v));
      return `${q} = ?`;
    case 'in':
      values.push((v as JsonValue[]).map((x) => bindValue(r.info, x)));
      return `${q} IN ?`;
    case 'contains': {
      // list/set: every element present (one CONTAINS each); map: every entry present (`col[key] = value`).
      const parts: string[] = [];
      if (Array.isArray(v)) {
        if (/^map</.test(baseType(r.info.type))) {
          throw QueryErrors.invalidConditionValue(
            `Invalid value for "contains" on map column "${r.cond.column}"`,
            '"contains" on a map takes an object of key → value entries',
          );
        }
        for (const x of v) {
          values.push(x);
          parts.push(`${q} CONTAINS ?`);
        }
      } else {
        if (!/^map</.test(baseType(r.info.type))) {
          throw QueryErrors.invalidConditionValue(
            `Invalid value for "contains" on column "${r.cond.column}"`,
            `"contains" on a ${baseType(r.info.type)} takes an array of elements`,
          );
        }
        for (const k of Object.keys(v as object)) {
          values.push(k, (v as Record<string, JsonValue>)[k]);
          parts.push(`${q}[?] = ?`);
        }
      }
      if (parts.length === 0) {
        throw QueryErrors.invalidConditionValue(
          `Empty "contains" on "${r.cond.column}"`,
          '"contains" needs at least one element',
        );
      }
      return parts.join(' AND ');
    }
    default:
      values.push(bindValue(r.info, v));
      return `${q} ${RANGE_SQL[r.cond.op]} ?`;
  }
}

interface WherePlan {
  text: string;
  values: unknown[];
  /** Why the statement needs ALLOW FILTERING (empty = it does not). */
  filteringReasons: string[];
  /** Partition key fully restricted by eq only (ORDER BY is possible). */
  partitionByEq: boolean;
  empty: boolean;
}

/** Plans a fetch WHERE clause along the key layout (see the file comment for the rules). */
function planWhere(filters: Filter[], s: CqlTableSchema): WherePlan {
  const by = restrictions(filters, s);
  const reasons: string[] = [];
  const parts: string[] = [];
  const values: unknown[] = [];
  let empty = false;

  // Partition key: every column eq/in, or none.
  const pkRestricted: string[] = [];
  let partitionByEq = s.partitionKey.length > 0;
  for (const col of s.partitionKey) {
    const rs = by.get(col);
    if (!rs) {
      partitionByEq = false;
      continue;
    }
    pkRestricted.push(col);
    if (rs.length === 1 && (rs[0].cond.op === 'eq' || rs[0].cond.op === 'in')) {
      if (rs[0].cond.op === 'in') {
        partitionByEq = false;
        if ((rs[0].cond.value as JsonValue[]).length === 0) empty = true;
      }
    } else if (rs.some((r) => r.cond.op === 'eq' || r.cond.op === 'in')) {
      throw conflicting(col);
    } else {
      partitionByEq = false;
      reasons.push(`partition key column "${col}" is only range-filtered (partition keys take eq or in)`);
    }
  }
  const pkFull = pkRestricted.length === s.partitionKey.length;
  if (pkRestricted.length > 0 && !pkFull) {
    const missing = s.partitionKey.filter((c) => !by.has(c));
    reasons.push(`the partition key is only partly restricted (missing ${missing.map((c) => `"${c}"`).join(', ')})`);
  }

  // Clustering columns: a prefix of eq/in, then at most one range, nothing after it.
  let gap: string | null = null;
  let afterRange: string | null = null;
  let anyClustering = false;
  for (const { name: col } of s.clustering) {
    const rs = by.get(col);
    if (!rs) {
      if (gap === null) gap = col;
      continue;
    }
    anyClustering = true;
    if (gap !== null)
      reasons.push(`clustering column "${col}" is restricted but the earlier clustering column "${gap}" is not`);
    else if (afterRange !== null)
      reasons.push(`clustering column "${col}" is restricted after a range on "${afterRange}"`);
    if (rs.length === 1 && (rs[0].cond.op === 'eq' || rs[0].cond.op === 'in')) {
      if (rs[0].cond.op === 'in' && (rs[0].cond.value as JsonValue[]).length === 0) empty = true;
    } else if (isRangeSet(rs, col)) {
      if (afterRange === null) afterRange = col;
    } else if (rs.some((r) => r.cond.op === 'contains')) {
      reasons.push(`"contains" on clustering column "${col}"`);
    } else {
      throw conflicting(col);
    }
  }
  if (anyClustering && !pkFull) reasons.push('clustering columns are restricted without the full partition key');

  // Everything else: indexed equality (or SAI ranges), otherwise filtering.
  let legacyIndexed = 0;
  for (const [col, rs] of by) {
    if (s.partitionKey.includes(col) || s.clustering.some((c) => c.name === col)) continue;
    const idx = s.indexes.get(col);
    for (const r of rs) {
      const op = r.cond.op;
      if (idx === undefined) {
        reasons.push(`column "${col}" is not part of the primary key and has no index`);
      } else if (op === 'in' && idx === 'legacy') {
        reasons.push(`"in" on indexed column "${col}" (a secondary index serves eq only)`);
      } else if (RANGE_OPS.has(op) && idx === 'legacy') {
        reasons.push(
          `range on column "${col}" (its secondary index serves eq only; a storage-attached index serves ranges)`,
        );
      } else if (idx === 'legacy' && ++legacyIndexed > 1) {
        reasons.push(`more than one secondary-index restriction ("${col}")`);
      }
      if (op === 'in' && (r.cond.value as JsonValue[]).length === 0) empty = true;
    }
  }

  // Render in key order (partition, clustering, others) for stable statements.
  const order: string[] = [...s.partitionKey, ...s.clustering.map((c) => c.name)];
  for (const col of by.keys()) if (!order.includes(col)) order.push(col);
  for (const col of order) {
    const rs = by.get(col);
    if (!rs) continue;
    for (const r of rs) parts.push(render(r, values));
  }
  return {
    text: parts.length ? ` WHERE ${parts.join(' AND ')}` : '',
    values,
    filteringReasons: [...new Set(reasons)],
    partitionByEq,
    empty,
  };
}

function needsFiltering(reasons: string[], opts: CqlCompileOptions): boolean {
  if (reasons.length === 0) return false;
  if (opts.allowFiltering) return true;
  throw unsupportedByBackend(
    reasons[0],
    `This filter needs a full scan on ScyllaDB/Cassandra (ALLOW FILTERING): ${reasons.join('; ')}. ` +
      'Filter on the partition key (eq/in) and a clustering-key prefix, add an index, or set allow_filtering: true on the client',
  );
}

// ---------------------------------------------------------------------------------------------------------------
// public compilers

/**
 * `SELECT … FROM ks.t [WHERE …] [ORDER BY c1 ASC|DESC] [ALLOW FILTERING]`. The row limit is the page size
 * (`fetchSize`), so a full page can hand back the driver's page state for the next one; CQL's own `LIMIT`
 * would end paging at the first page.
 */
export function compileCqlSelect(q: FetchQuery, s: CqlTableSchema, opts: CqlCompileOptions): CompiledCqlFetch {
  if (q.offset > 0) {
    throw unsupportedByBackend(
      'offset paging',
      'ScyllaDB/Cassandra cannot skip rows; page with page_state (returned by the previous fetch) instead of offset/current_page',
    );
  }
  const w = planWhere(q.conditions, s);
  let text = `SELECT ${projection(q.columns, s)} FROM ${quotedTable(s)}${w.text}`;
  if (q.sort !== null) {
    column(s, q.sort.column);
    const first = s.clustering[0];
    if (!first || first.name !== q.sort.column) {
      throw unsupportedByBackend(
        `ordering by "${q.sort.column}"`,
        first
          ? `Rows come in clustering order; only "${first.name}" (the first clustering column) can be sorted on, asc or desc`
          : `Table "${tableLabel(s)}" has no clustering columns, so rows have no order to sort on`,
      );
    }
    if (!w.partitionByEq) {
      throw unsupportedByBackend(
        `ordering by "${q.sort.column}" across partitions`,
        'ORDER BY needs every partition key column restricted by eq (one partition); with in or no partition key rows cannot be ordered while paging',
      );
    }
    text += ` ORDER BY ${quoteIdent(first.name)} ${q.sort.direction === 'desc' ? 'DESC' : 'ASC'}`;
  }
  checkPostProcessing(q.postProcessing, s);
  if (needsFiltering(w.filteringReasons, opts)) text += ' ALLOW FILTERING';
  return { text, values: w.values, fetchSize: q.limit, empty: w.empty || q.limit === 0 };
}

function primaryKey(s: CqlTableSchema): string[] {
  return [...s.partitionKey, ...s.clustering.map((c) => c.name)];
}

/** `INSERT INTO ks.t (…) VALUES (…) [IF NOT EXISTS]`, one per row; every row must carry the full primary key. */
export function compileCqlInsert(c: InsertCommand, s: CqlTableSchema, _opts: CqlCompileOptions): CompiledCqlInsert {
  const pk = primaryKey(s);
  if (c.updateBody !== null) {
    throw unsupportedByBackend(
      'update_body on insert',
      'A CQL INSERT already overwrites the row with the same primary key; send the new values in insert_body and drop update_body',
    );
  }
  if (c.onConflict !== null) {
    const same = c.onConflict.length === pk.length && c.onConflict.every((k) => pk.includes(k));
    if (!same) {
      throw unsupportedByBackend(
        `on_conflict (${c.onConflict.join(', ')})`,
        `Rows are only unique by their primary key (${pk.join(', ')}); on_conflict must name exactly those columns, or be left out`,
      );
    }
  }
  const conditional = c.ifNotExists === true;
  const statements: CqlStatement[] = [];
  const out: Record<string, JsonValue>[] = [];
  let partition: string | null = null;
  for (let r = 0; r < c.rows.length; r++) {
    const row = c.rows[r];
    const cols: string[] = [];
    const values: unknown[] = [];
    for (const k in row) {
      if (row[k] === undefined) continue;
      const info = column(s, k);
      cols.push(k);
      values.push(bindValue(info, row[k]));
    }
    for (const k of pk) {
      if (row[k] === undefined || row[k] === null) {
        throw QueryErrors.missingPrimaryKey(
          `insert_body${c.single ? '' : `[${r}]`} lacks primary key column "${k}"`,
          `Every row inserted into "${tableLabel(s)}" needs its full primary key (${pk.join(', ')}); "${k}" is missing or null`,
        );
      }
    }
    if (conditional && c.rows.length > 1) {
      const key = JSON.stringify(s.partitionKey.map((k) => row[k]));
      if (partition === null) partition = key;
      else if (partition !== key) {
        throw unsupportedByBackend(
          'if_not_exists across partitions',
          'A conditional batch must stay in one partition; send rows of different partitions in separate requests',
        );
      }
    }
    let text = `INSERT INTO ${quotedTable(s)} (${cols.map(quoteIdent).join(', ')}) VALUES (${cols.map(() => '?').join(', ')})`;
    if (conditional) text += ' IF NOT EXISTS';
    statements.push({ text, values });
    if (c.returning === null) out.push(row);
    else {
      const p: Record<string, JsonValue> = {};
      for (const k of c.returning) {
        column(s, k);
        p[k] = row[k] ?? null;
      }
      out.push(p);
    }
  }
  return { statements, conditional, rows: out };
}

/** The full primary key from `conditions` (eq on every key column and nothing else), as a WHERE clause. */
function keyWhere(filters: Filter[], s: CqlTableSchema, what: 'update' | 'delete'): CqlStatement {
  const pk = primaryKey(s);
  const by = restrictions(filters, s);
  const values: unknown[] = [];
  const parts: string[] = [];
  for (const [col, rs] of by) {
    if (!pk.includes(col)) {
      throw unsupportedByBackend(
        `${what} filtered on "${col}"`,
        `A CQL ${what} addresses one row by its full primary key (${pk.join(', ')}); "${col}" is not a key column`,
      );
    }
    if (rs.length !== 1 || rs[0].cond.op !== 'eq') {
      throw unsupportedByBackend(
        `${what} with "${rs[0].cond.op}" on "${col}"`,
        `A CQL ${what} takes eq on each primary key column (${pk.join(', ')})`,
      );
    }
  }
  for (const col of pk) {
    const rs = by.get(col);
    if (!rs) {
      throw unsupportedByBackend(
        `${what} without "${col}"`,
        `A CQL ${what} needs eq on every primary key column (${pk.join(', ')}); "${col}" is missing`,
      );
    }
    parts.push(render(rs[0], values));
  }
  return { text: ` WHERE ${parts.join(' AND ')}`, values };
}

/** `UPDATE ks.t SET … WHERE <full key> IF EXISTS` (no upsert of a missing row), plus the read-back. */
export function compileCqlUpdate(c: UpdateCommand, s: CqlTableSchema, _opts: CqlCompileOptions): CompiledCqlKeyed {
  if (c.conditions.length === 0) {
    throw QueryErrors.invalidFetchCondition(
      'An update needs at least one condition',
      'An update needs at least one condition; full-table updates are refused',
    );
  }
  const pk = primaryKey(s);
  const sets: string[] = [];
  const values: unknown[] = [];
  for (const k in c.set) {
    const info = column(s, k);
    if (pk.includes(k)) {
      throw unsupportedByBackend(
        `updating primary key column "${k}"`,
        'Primary key columns cannot change in CQL; delete the row and insert it with the new key',
      );
    }
    sets.push(`${quoteIdent(k)} = ?`);
    values.push(bindValue(info, c.set[k]));
  }
  if (sets.length === 0) {
    throw QueryErrors.invalidUpdatePayload('update_body must not be empty', 'update_body must set at least one column');
  }
  const key = keyWhere(c.conditions, s, 'update');
  checkPostProcessing(c.postProcessing, s);
  return {
    statement: {
      text: `UPDATE ${quotedTable(s)} SET ${sets.join(', ')}${key.text} IF EXISTS`,
      values: [...values, ...key.values],
    },
    read: { text: `SELECT ${projection(c.returning, s)} FROM ${quotedTable(s)}${key.text}`, values: key.values },
  };
}

/** `DELETE FROM ks.t WHERE <full key>`, plus the read that returns the row being deleted. */
export function compileCqlDelete(c: DeleteCommand, s: CqlTableSchema, _opts: CqlCompileOptions): CompiledCqlKeyed {
  if (c.conditions.length === 0) {
    throw QueryErrors.invalidDeletePayload(
      'delete needs resource_id or at least one condition',
      'delete needs resource_id or at least one condition; full-table deletes are refused',
    );
  }
  const key = keyWhere(c.conditions, s, 'delete');
  return {
    statement: { text: `DELETE FROM ${quotedTable(s)}${key.text}`, values: key.values },
    read: { text: `SELECT ${projection(c.returning, s)} FROM ${quotedTable(s)}${key.text}`, values: key.values },
  };
}
