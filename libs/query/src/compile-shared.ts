/** Helpers shared by the SQL and CQL compilers: table names, column checks, projections. */

import type { ColumnInfo, PostProcessingSpec, TableSchema } from './ast';
import { quoteIdent } from './identifiers';
import { QueryErrors } from './errors';

/** `schema.table` as shown in error messages. */
export function tableLabel(s: TableSchema): string {
  return `${s.schema}.${s.name}`;
}

/** `"schema"."table"` as written in a statement. */
export function quotedTable(s: TableSchema): string {
  return `${quoteIdent(s.schema)}.${quoteIdent(s.name)}`;
}

/** The column's introspected info, or 400 `unknown_column` listing the available columns. */
export function column(s: TableSchema, name: string): ColumnInfo {
  const c = s.columns.get(name);
  if (c === undefined) {
    const available = Array.from(s.columns.keys());
    const label = tableLabel(s);
    throw QueryErrors.unknownColumn(
      `Unknown column "${name}" on table "${label}"`,
      `Column "${name}" does not exist on table "${label}". Available columns: ${available.join(', ')}`,
      { available_columns: available },
    );
  }
  return c;
}

/** The select list: `*` for none, else the checked, quoted columns. */
export function projection(cols: string[] | null, s: TableSchema): string {
  if (cols === null || cols.length === 0) return '*';
  let out = '';
  for (let i = 0; i < cols.length; i++) {
    column(s, cols[i]);
    out += i === 0 ? quoteIdent(cols[i]) : `, ${quoteIdent(cols[i])}`;
  }
  return out;
}

/** Post-processing may only name existing columns. */
export function checkPostProcessing(pp: PostProcessingSpec | null, s: TableSchema): void {
  if (pp === null) return;
  column(s, pp.groupBy);
  if (pp.aggregationColumn !== null) column(s, pp.aggregationColumn);
}
