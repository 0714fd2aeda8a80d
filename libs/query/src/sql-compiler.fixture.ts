import type { ColumnInfo, TableSchema } from './ast';

/** A representative table for compiler tests: every type family the compiler treats specially. */
export function itemsSchema(): TableSchema {
  const cols: Array<[string, string, boolean?]> = [
    ['id', 'uuid'],
    ['name', 'text'],
    ['qty', 'int4'],
    ['price', 'numeric'],
    ['active', 'bool'],
    ['tags', '_text', true],
    ['meta', 'jsonb'],
    ['settings', 'json'],
    ['owner_id', 'uuid'],
    ['created_at', 'timestamptz'],
    ['status', 'text'],
  ];
  const columns = new Map<string, ColumnInfo>();
  for (const [name, type, isArray] of cols)
    columns.set(name, { name, type, nullable: name !== 'id', isArray: isArray ?? false });
  return { schema: 'public', name: 'items', columns, primaryKey: ['id'] };
}

/** A table without a primary key. */
export function logsSchema(): TableSchema {
  const columns = new Map<string, ColumnInfo>();
  for (const [name, type] of [
    ['ts', 'timestamptz'],
    ['msg', 'text'],
  ])
    columns.set(name, { name, type, nullable: true, isArray: false });
  return { schema: 'audit', name: 'logs', columns, primaryKey: [] };
}
