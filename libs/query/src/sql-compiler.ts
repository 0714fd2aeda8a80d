/**
 * AST + introspected TableSchema → one parameterised PostgreSQL statement. Values are always bound (`$n`),
 * identifiers are always quoted, and every column must exist on the table (400 `unknown_column` otherwise).
 */
import { AthenaError } from '@athena/common';
import { isAnyOf } from './ast';
import type {
  ColumnInfo,
  CompiledStatement,
  Condition,
  DeleteCommand,
  Filter,
  FetchQuery,
  InsertCommand,
  JsonValue,
  TableSchema,
  UpdateCommand,
} from './ast';
import { checkPostProcessing, column, projection, quotedTable, tableLabel } from './compile-shared';
import { quoteIdent } from './identifiers';
import { QueryErrors } from './errors';

export interface CompileOptions {
  /** `gateway.auto_cast_uuid_filter_values_to_text`: compare uuid columns as text when the value is not a UUID. */
  autoCastUuid: boolean;
}

/** PostgreSQL's limit on bind parameters in one statement. */
export const MAX_BIND_PARAMS = 65535;

/** Spellings PostgreSQL's uuid input accepts that we recognise (hyphenated, bare, braced). */
const UUID_RE =
  /^(?:[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}|\{[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\})$/i;

export function isUuidString(v: unknown): boolean {
  return typeof v === 'string' && UUID_RE.test(v);
}

// ---------------------------------------------------------------------------------------------------------------
// helpers

function isJson(c: ColumnInfo): boolean {
  return c.type === 'jsonb' || c.type === 'json';
}

/** Left-hand side for jsonb comparisons: `json` has no operators of its own, so it is cast. */
function jsonLhs(q: string, c: ColumnInfo): string {
  return c.type === 'json' ? `${q}::jsonb` : q;
}

function bind(values: unknown[], v: unknown): string {
  values.push(v);
  return `$${values.length}`;
}

/** A value written to a column: json/jsonb get their JSON text (pg would turn JS arrays into array literals). */
function writeValue(c: ColumnInfo, v: JsonValue): unknown {
  return v !== null && isJson(c) ? JSON.stringify(v) : v;
}

function badValue(message: string, detail: string): AthenaError {
  return QueryErrors.invalidConditionValue(message, detail);
}

/**
 * PostgreSQL refuses a LIKE pattern ending in its escape character `\` — but only when matching reaches the end,
 * so the same request could pass or fail with the data. Refused up front, always.
 */
function likePattern(col: string, v: unknown): unknown {
  if (typeof v !== 'string' || v.charCodeAt(v.length - 1) !== 0x5c) return v;
  let n = 0;
  for (let i = v.length - 1; i >= 0 && v.charCodeAt(i) === 0x5c; i--) n++;
  if (n % 2 === 0) return v;
  throw QueryErrors.invalidLikePattern(
    `Invalid LIKE pattern on "${col}"`,
    'The pattern ends with the escape character \\; escape a literal backslash as \\\\',
  );
}

function compileCondition(cond: Condition, schema: TableSchema, values: unknown[], opts: CompileOptions): string {
  const info = column(schema, cond.column);
  const q = quoteIdent(cond.column);
  const v = cond.value;
  switch (cond.op) {
    case 'eq':
    case 'neq': {
      const eq = cond.op === 'eq';
      if (v === null) return eq ? `${q} IS NULL` : `${q} IS NOT NULL`;
      const sym = eq ? '=' : '<>';
      if (isJson(info)) return `${jsonLhs(q, info)} ${sym} ${bind(values, JSON.stringify(v))}::jsonb`;
      if (opts.autoCastUuid && info.type === 'uuid' && !isUuidString(v)) return `${q}::text ${sym} ${bind(values, v)}`;
      return `${q} ${sym} ${bind(values, v)}`;
    }
    case 'gt':
      return `${q} > ${bind(values, v)}`;
    case 'gte':
      return `${q} >= ${bind(values, v)}`;
    case 'lt':
      return `${q} < ${bind(values, v)}`;
    case 'lte':
      return `${q} <= ${bind(values, v)}`;
    case 'like':
      return `${q} LIKE ${bind(values, likePattern(cond.column, v))}`;
    case 'ilike':
      return `${q} ILIKE ${bind(values, likePattern(cond.column, v))}`;
    case 'is':
      if (v === true) return `${q} IS TRUE`;
      if (v === false) return `${q} IS FALSE`;
      if (v === null) return `${q} IS NULL`;
      throw badValue(`Invalid value for "is" condition on "${cond.column}"`, `"is" takes null, true or false`);
    case 'in': {
      if (!Array.isArray(v)) {
        throw badValue(`Invalid value for "in" condition on "${cond.column}"`, `"in" takes an array of scalar values`);
      }
      if (v.length === 0) return 'FALSE';
      if (isJson(info)) {
        const texts = new Array<string | null>(v.length);
        for (let i = 0; i < v.length; i++) texts[i] = v[i] === null ? null : JSON.stringify(v[i]);
        return `${jsonLhs(q, info)} = ANY(${bind(values, texts)}::jsonb[])`;
      }
      if (opts.autoCastUuid && info.type === 'uuid') {
        for (let i = 0; i < v.length; i++) {
          if (v[i] !== null && !isUuidString(v[i])) return `${q}::text = ANY(${bind(values, v)})`;
        }
      }
      return `${q} = ANY(${bind(values, v)})`;
    }
    case 'contains':
    case 'containedBy': {
      const sym = cond.op === 'contains' ? '@>' : '<@';
      if (isJson(info)) return `${jsonLhs(q, info)} ${sym} ${bind(values, JSON.stringify(v))}::jsonb`;
      if (info.isArray) {
        if (!Array.isArray(v)) {
          throw badValue(
            `Invalid value for "${cond.op}" condition on "${cond.column}"`,
            `"${cond.column}" is an array column (${info.type}); "${cond.op}" needs an array value`,
          );
        }
        return `${q} ${sym} ${bind(values, v)}`;
      }
      throw badValue(
        `"${cond.op}" is not supported on column "${cond.column}"`,
        `"${cond.op}" needs an array or json/jsonb column; "${cond.column}" is ${info.type}`,
      );
    }
  }
}

/** ` WHERE a AND b`, or '' for no conditions. */
function where(conds: Filter[], schema: TableSchema, values: unknown[], opts: CompileOptions): string {
  if (conds.length === 0) return '';
  let out = ' WHERE ';
  for (let i = 0; i < conds.length; i++) {
    if (i > 0) out += ' AND ';
    out += compileFilter(conds[i], schema, values, opts);
  }
  return out;
}

/** A condition (possibly negated) or an OR group. NOT keeps SQL semantics: NULL comparisons stay excluded. */
function compileFilter(f: Filter, schema: TableSchema, values: unknown[], opts: CompileOptions): string {
  if (isAnyOf(f)) {
    if (f.any.length === 0) return 'FALSE';
    let out = '(';
    for (let i = 0; i < f.any.length; i++) {
      if (i > 0) out += ' OR ';
      out += compileFilter(f.any[i], schema, values, opts);
    }
    return `${out})`;
  }
  const sql = compileCondition(f, schema, values, opts);
  return f.negate ? `NOT (${sql})` : sql;
}

function returning(cols: string[] | null, schema: TableSchema): string {
  return ` RETURNING ${projection(cols, schema)}`;
}

function setClause(set: Record<string, JsonValue>, schema: TableSchema, values: unknown[]): string {
  let out = '';
  for (const k in set) {
    const info = column(schema, k);
    if (out !== '') out += ', ';
    out += `${quoteIdent(k)} = ${bind(values, writeValue(info, set[k]))}`;
  }
  return out;
}

function countKeys(o: object): number {
  let n = 0;
  for (const _ in o) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------------------------
// public compilers

/**
 * `SELECT … FROM … WHERE … ORDER BY … LIMIT $n [OFFSET $m]`. With `probeTruncation` the LIMIT is one more than
 * `q.limit` so the caller can tell a truncated answer (more than `q.limit` rows back) from a complete one.
 */
export function compileSelect(q: FetchQuery, schema: TableSchema, opts: CompileOptions): CompiledStatement {
  const values: unknown[] = [];
  let text = `SELECT ${projection(q.columns, schema)} FROM ${quotedTable(schema)}`;
  text += where(q.conditions, schema, values, opts);
  if (q.sort !== null) {
    column(schema, q.sort.column);
    text += ` ORDER BY ${quoteIdent(q.sort.column)} ${q.sort.direction === 'desc' ? 'DESC' : 'ASC'}`;
  }
  checkPostProcessing(q.postProcessing, schema);
  text += ` LIMIT ${bind(values, q.probeTruncation ? q.limit + 1 : q.limit)}`;
  if (q.offset > 0) text += ` OFFSET ${bind(values, q.offset)}`;
  return { text, values };
}

/** `INSERT … VALUES (…),(…) [ON CONFLICT …] RETURNING …`; missing keys in a row are `DEFAULT`. */
export function compileInsert(c: InsertCommand, schema: TableSchema, _opts: CompileOptions): CompiledStatement {
  const rows = c.rows;
  // Column list: union of row keys in first-seen order.
  let cols: string[];
  let paramCount = 0;
  if (rows.length === 1) {
    cols = Object.keys(rows[0]);
    paramCount = cols.length;
  } else {
    cols = [];
    const seen = new Set<string>();
    for (const row of rows) {
      for (const k in row) {
        paramCount++;
        if (!seen.has(k)) {
          seen.add(k);
          cols.push(k);
        }
      }
    }
  }
  if (c.updateBody !== null) paramCount += countKeys(c.updateBody);
  if (paramCount > MAX_BIND_PARAMS) {
    throw QueryErrors.insertTooLarge(
      'Insert has too many values for one statement',
      `This insert needs ${paramCount} bound values; PostgreSQL allows at most ${MAX_BIND_PARAMS}. Split it into smaller batches`,
    );
  }

  const infos = new Array<ColumnInfo>(cols.length);
  for (let i = 0; i < cols.length; i++) infos[i] = column(schema, cols[i]);

  const values: unknown[] = [];
  let text = `INSERT INTO ${quotedTable(schema)}`;
  if (cols.length === 0) {
    if (rows.length === 1) {
      text += ' DEFAULT VALUES';
    } else {
      // Several all-default rows: name one column and give it DEFAULT in each row.
      const first = schema.columns.keys().next();
      if (first.done) {
        throw QueryErrors.invalidInsertPayload(`Table "${tableLabel(schema)}" has no columns`);
      }
      text += ` (${quoteIdent(first.value)}) VALUES `;
      for (let r = 0; r < rows.length; r++) text += r === 0 ? '(DEFAULT)' : ',(DEFAULT)';
    }
  } else {
    let head = '';
    for (let i = 0; i < cols.length; i++) head += i === 0 ? quoteIdent(cols[i]) : `,${quoteIdent(cols[i])}`;
    text += ` (${head}) VALUES `;
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      text += r === 0 ? '(' : ',(';
      for (let i = 0; i < cols.length; i++) {
        if (i > 0) text += ',';
        const k = cols[i];
        text += Object.hasOwn(row, k) && row[k] !== undefined ? bind(values, writeValue(infos[i], row[k])) : 'DEFAULT';
      }
      text += ')';
    }
  }

  if (c.updateBody !== null) {
    const target = c.onConflict ?? (schema.primaryKey.length > 0 ? schema.primaryKey : null);
    if (target === null) {
      throw QueryErrors.invalidInsertPayload(
        'Upsert needs a conflict target',
        `Table "${tableLabel(schema)}" has no primary key; pass on_conflict with the unique column(s) to upsert on`,
      );
    }
    text += ` ON CONFLICT (${conflictTarget(target, schema)}) DO UPDATE SET ${setClause(c.updateBody, schema, values)}`;
  } else if (c.onConflict !== null) {
    const target = c.onConflict;
    text += ` ON CONFLICT (${conflictTarget(target, schema)}) `;
    let merge = '';
    for (const k of cols) {
      if (target.includes(k)) continue;
      const q = quoteIdent(k);
      merge += merge === '' ? `${q} = EXCLUDED.${q}` : `, ${q} = EXCLUDED.${q}`;
    }
    text += merge === '' ? 'DO NOTHING' : `DO UPDATE SET ${merge}`;
  }
  text += returning(c.returning, schema);
  return { text, values };
}

function conflictTarget(target: string[], schema: TableSchema): string {
  let out = '';
  for (let i = 0; i < target.length; i++) {
    column(schema, target[i]);
    out += i === 0 ? quoteIdent(target[i]) : `,${quoteIdent(target[i])}`;
  }
  return out;
}

/** `UPDATE … SET … WHERE … RETURNING …`. Refuses an empty SET or an empty WHERE. */
export function compileUpdate(c: UpdateCommand, schema: TableSchema, opts: CompileOptions): CompiledStatement {
  if (c.conditions.length === 0) {
    throw QueryErrors.invalidFetchCondition(
      'An update needs at least one condition',
      'An update needs at least one condition; full-table updates are refused',
    );
  }
  const values: unknown[] = [];
  const set = setClause(c.set, schema, values);
  if (set === '') {
    throw QueryErrors.invalidUpdatePayload('update_body must not be empty', 'update_body must set at least one column');
  }
  let text = `UPDATE ${quotedTable(schema)} SET ${set}`;
  text += where(c.conditions, schema, values, opts);
  checkPostProcessing(c.postProcessing, schema);
  text += returning(c.returning, schema);
  return { text, values };
}

/** `DELETE FROM … WHERE … RETURNING …`. Refuses an empty WHERE. */
export function compileDelete(c: DeleteCommand, schema: TableSchema, opts: CompileOptions): CompiledStatement {
  if (c.conditions.length === 0) {
    throw QueryErrors.invalidDeletePayload(
      'delete needs resource_id or at least one condition',
      'delete needs resource_id or at least one condition; full-table deletes are refused',
    );
  }
  const values: unknown[] = [];
  let text = `DELETE FROM ${quotedTable(schema)}`;
  text += where(c.conditions, schema, values, opts);
  text += returning(c.returning, schema);
  return { text, values };
}
