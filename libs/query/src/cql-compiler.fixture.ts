import type { ColumnInfo } from './ast';
import type { CqlTableSchema } from './cql-compiler';

function table(
  name: string,
  cols: Array<[string, string]>,
  partitionKey: string[],
  clustering: CqlTableSchema['clustering'],
  indexes: Array<[string, 'sai' | 'legacy']> = [],
): CqlTableSchema {
  const columns = new Map<string, ColumnInfo>();
  const keys = new Set([...partitionKey, ...clustering.map((c) => c.name)]);
  for (const [n, type] of cols)
    columns.set(n, { name: n, type, nullable: !keys.has(n), isArray: /^(list|set)</.test(type) });
  return { schema: 'app', name, columns, primaryKey: [...keys], partitionKey, clustering, indexes: new Map(indexes) };
}

/** Composite partition key (tenant, day), clustering (ts DESC, id ASC), collections, a blob, an SAI and a legacy index. */
export function eventsTable(): CqlTableSchema {
  return table(
    'events',
    [
      ['tenant', 'text'],
      ['day', 'date'],
      ['ts', 'timestamp'],
      ['id', 'uuid'],
      ['kind', 'text'],
      ['value', 'int'],
      ['score', 'double'],
      ['tags', 'set<text>'],
      ['meta', 'map<text, text>'],
      ['payload', 'blob'],
      ['note', 'text'],
    ],
    ['tenant', 'day'],
    [
      { name: 'ts', order: 'desc' },
      { name: 'id', order: 'asc' },
    ],
    [
      ['kind', 'legacy'],
      ['score', 'sai'],
      ['tags', 'legacy'],
    ],
  );
}

/** A single-column primary key, no clustering. */
export function usersTable(): CqlTableSchema {
  return table(
    'users',
    [
      ['id', 'uuid'],
      ['email', 'text'],
      ['name', 'text'],
      ['age', 'int'],
      ['tags', 'list<text>'],
    ],
    ['id'],
    [],
    [['email', 'legacy']],
  );
}
