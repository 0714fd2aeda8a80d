import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  findProvisionSql,
  isIdempotentStatement,
  migrationStatements,
  provisionedTables,
  renderProvisionSql,
  splitSqlStatements,
} from './provisioning';

const FILE = join(__dirname, '..', '..', '..', 'sql', 'provision.sql');

describe('sql/provision.sql', () => {
  it('is exactly what the migrations run (no drift)', async () => {
    const expected = await renderProvisionSql();
    if (process.env.UPDATE_PROVISION_SQL === '1') writeFileSync(FILE, expected);
    expect(findProvisionSql()).toBe(FILE);
    expect(readFileSync(FILE, 'utf8')).toBe(expected);
  });

  it('splits back into the migration statements, each one idempotent', async () => {
    const statements = splitSqlStatements(readFileSync(FILE, 'utf8'));
    expect(statements).toEqual(await migrationStatements());
    for (const s of statements) expect({ s, ok: isIdempotentStatement(s) }).toEqual({ s, ok: true });
    expect(provisionedTables(statements)).toEqual(
      expect.arrayContaining([
        'athena_clients',
        'gateway_request_log',
        'client_statistics',
        'client_table_statistics',
        'api_keys',
      ]),
    );
  });

  it('recognises non-idempotent statements', () => {
    expect(isIdempotentStatement('CREATE TABLE t (id int)')).toBe(false);
    expect(isIdempotentStatement('INSERT INTO t VALUES (1)')).toBe(false);
    expect(isIdempotentStatement('DROP TABLE t')).toBe(false);
    expect(isIdempotentStatement('INSERT INTO t (id) VALUES (1) ON CONFLICT (id) DO NOTHING')).toBe(true);
  });

  it('splits on line-ending semicolons and drops comments', () => {
    expect(splitSqlStatements('-- c\nCREATE TABLE IF NOT EXISTS a (x int);\n\nSELECT 1;')).toEqual([
      'CREATE TABLE IF NOT EXISTS a (x int)',
      'SELECT 1',
    ]);
  });
});
