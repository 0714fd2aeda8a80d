import type { Client } from 'cassandra-driver';
import type { ColumnInfo, CqlTableSchema } from '@athena/query';

const COLUMNS_CQL =
  'SELECT keyspace_name, table_name, column_name, kind, position, type, clustering_order FROM system_schema.columns';
const INDEXES_CQL = 'SELECT keyspace_name, table_name, index_name, kind, options FROM system_schema.indexes';

/** Cassandra's and Scylla's own keyspaces (never served through the gateway). */
export function isSystemKeyspace(ks: string): boolean {
  return ks.startsWith('system') || ks === 'dse_system' || ks === 'dse_security';
}

interface ColumnRow {
  keyspace_name: string;
  table_name: string;
  column_name: string;
  kind: 'partition_key' | 'clustering' | 'regular' | 'static';
  position: number;
  type: string;
  clustering_order: string;
}

/** `values(tags)`, `keys("Map")`, `col` → the column name the index covers. */
export function indexTarget(target: string): string {
  const m = /^(?:values|keys|entries|full)\((.+)\)$/.exec(target.trim());
  const raw = (m ? m[1] : target).trim();
  return raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw;
}

/** Loads every user table of the cluster in two system_schema reads: `keyspace.table` → CqlTableSchema. */
export async function introspectCql(client: Client, timeoutMs: number): Promise<Map<string, CqlTableSchema>> {
  const opts = { prepare: false, fetchSize: 100_000, readTimeout: timeoutMs };
  const [cols, idx] = await Promise.all([client.execute(COLUMNS_CQL, [], opts), client.execute(INDEXES_CQL, [], opts)]);
  const groups = new Map<string, ColumnRow[]>();
  for (const r of cols.rows as unknown as ColumnRow[]) {
    if (isSystemKeyspace(r.keyspace_name)) continue;
    const key = `${r.keyspace_name}.${r.table_name}`;
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const tables = new Map<string, CqlTableSchema>();
  for (const [key, rows] of groups) {
    const byPos = (kind: ColumnRow['kind']) =>
      rows.filter((r) => r.kind === kind).sort((a, b) => a.position - b.position);
    const pk = byPos('partition_key');
    const ck = byPos('clustering');
    const rest = rows
      .filter((r) => r.kind === 'regular' || r.kind === 'static')
      .sort((a, b) => a.column_name.localeCompare(b.column_name));
    const columns = new Map<string, ColumnInfo>();
    for (const r of [...pk, ...ck, ...rest]) {
      columns.set(r.column_name, {
        name: r.column_name,
        type: r.type,
        nullable: r.kind === 'regular' || r.kind === 'static',
        isArray: /^(frozen<)?(list|set)</.test(r.type),
      });
    }
    tables.set(key, {
      schema: rows[0].keyspace_name,
      name: rows[0].table_name,
      columns,
      primaryKey: [...pk, ...ck].map((r) => r.column_name),
      partitionKey: pk.map((r) => r.column_name),
      clustering: ck.map((r) => ({ name: r.column_name, order: r.clustering_order === 'desc' ? 'desc' : 'asc' })),
      indexes: new Map(),
    });
  }
  for (const r of idx.rows as unknown as Array<{
    keyspace_name: string;
    table_name: string;
    kind: string;
    options: Record<string, string> | null;
  }>) {
    const t = tables.get(`${r.keyspace_name}.${r.table_name}`);
    const target = r.options?.target;
    if (!t || !target) continue;
    const className = r.options?.class_name ?? '';
    const sai = r.kind === 'CUSTOM' && /StorageAttachedIndex|sai/i.test(className);
    t.indexes.set(indexTarget(target), sai ? 'sai' : 'legacy');
  }
  return tables;
}
