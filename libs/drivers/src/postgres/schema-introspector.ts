import type { QueryResult } from 'pg';
import type { ColumnInfo, TableSchema } from '@athena/query';

const COLUMNS_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, a.attname AS column, t.typname AS type,
         NOT a.attnotnull AS nullable, t.typcategory = 'A' AS is_array
    FROM pg_catalog.pg_attribute a
    JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_type t ON t.oid = a.atttypid
   WHERE c.relkind IN ('r', 'v', 'm', 'p', 'f')
     AND a.attnum > 0 AND NOT a.attisdropped
     AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
     AND n.nspname NOT LIKE 'pg_temp_%' AND n.nspname NOT LIKE 'pg_toast_temp_%'
     AND has_table_privilege(c.oid, 'SELECT')
   ORDER BY n.nspname, c.relname, a.attnum`;

const PK_SQL = `
  SELECT n.nspname AS schema, c.relname AS table, a.attname AS column
    FROM pg_catalog.pg_index i
    JOIN pg_catalog.pg_class c ON c.oid = i.indrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord) ON true
    JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
   WHERE i.indisprimary AND n.nspname NOT IN ('pg_catalog', 'information_schema')
   ORDER BY n.nspname, c.relname, k.ord`;

/** Loads every visible table/view of a database in two catalog queries: `schema.table` → TableSchema. */
export async function introspect(db: { query(text: string): Promise<QueryResult> }): Promise<Map<string, TableSchema>> {
  const [cols, pks] = await Promise.all([db.query(COLUMNS_SQL), db.query(PK_SQL)]);
  const tables = new Map<string, TableSchema>();
  for (const r of cols.rows as Array<{
    schema: string;
    table: string;
    column: string;
    type: string;
    nullable: boolean;
    is_array: boolean;
  }>) {
    const key = `${r.schema}.${r.table}`;
    let t = tables.get(key);
    if (!t) {
      t = { schema: r.schema, name: r.table, columns: new Map<string, ColumnInfo>(), primaryKey: [] };
      tables.set(key, t);
    }
    t.columns.set(r.column, { name: r.column, type: r.type, nullable: r.nullable, isArray: r.is_array });
  }
  for (const r of pks.rows as Array<{ schema: string; table: string; column: string }>) {
    tables.get(`${r.schema}.${r.table}`)?.primaryKey.push(r.column);
  }
  return tables;
}
