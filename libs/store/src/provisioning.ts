import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Client } from 'pg';
import type { QueryRunner } from 'typeorm';
import { CONTROL_PLANE_MIGRATIONS } from '../../../migrations';

/** Where the bundled script lives, relative to the repository (or install) root. */
export const PROVISION_SQL_FILE = join('sql', 'provision.sql');

const HEADER = `-- Athena control-plane schema (athena_logging): idempotent, every statement IF NOT EXISTS / ON CONFLICT DO NOTHING.
-- Generated from migrations/ (a unit test checks that the two never drift); regenerate with
--   UPDATE_PROVISION_SQL=1 npx jest libs/store/src/provisioning.spec.ts --selectProjects unit
-- Apply: psql -f sql/provision.sql "$URI"  |  athena provision --uri "$URI"  |  POST /admin/provision
`;

function dedent(sql: string): string {
  const lines = sql
    .replace(/^\s*\n/, '')
    .split('\n')
    .map((l) => l.trimEnd());
  const indents = lines
    .slice(1)
    .filter((l) => l.trim() !== '')
    .map((l) => l.length - l.trimStart().length);
  const cut = indents.length > 0 ? Math.min(...indents) : 0;
  return [lines[0].trim(), ...lines.slice(1).map((l) => l.slice(Math.min(cut, l.length - l.trimStart().length)))]
    .join('\n')
    .trim();
}

/** The statements every migration's `up` runs, in order (recorded, not executed). */
export async function migrationStatements(): Promise<string[]> {
  const out: string[] = [];
  const recorder = {
    query: async (sql: string) => {
      out.push(dedent(sql));
    },
  } as unknown as QueryRunner;
  for (const M of CONTROL_PLANE_MIGRATIONS) await new M().up(recorder);
  return out;
}

/** The text of `sql/provision.sql` as the migrations define it. */
export async function renderProvisionSql(): Promise<string> {
  return `${HEADER}\n${(await migrationStatements()).map((s) => `${s};`).join('\n\n')}\n`;
}

/** Statements of a script whose statements end with `;` at the end of a line (no `;` inside a statement). */
export function splitSqlStatements(script: string): string[] {
  const body = script
    .split('\n')
    .filter((l) => !l.trimStart().startsWith('--'))
    .join('\n');
  return body
    .split(/;[ \t]*(?:\n|$)/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** True for statements that change nothing when run a second time. */
export function isIdempotentStatement(sql: string): boolean {
  return (
    /^CREATE (?:UNIQUE )?(?:TABLE|INDEX) IF NOT EXISTS\b/i.test(sql) ||
    /^DROP INDEX IF EXISTS [a-z_][a-z0-9_]*$/i.test(sql) ||
    /^INSERT\b[\s\S]*\bON CONFLICT\b[\s\S]*\bDO NOTHING$/i.test(sql)
  );
}

/** Tables the script creates, in order. */
export function provisionedTables(statements: string[]): string[] {
  return statements.flatMap((s) => /^CREATE TABLE IF NOT EXISTS ([a-z_][a-z0-9_]*)/i.exec(s)?.[1] ?? []);
}

/** The bundled `sql/provision.sql` (searched upwards from this module); null when not shipped. */
export function findProvisionSql(from = __dirname): string | null {
  for (let dir = from; ; dir = dirname(dir)) {
    const p = join(dir, PROVISION_SQL_FILE);
    if (existsSync(p)) return p;
    if (dirname(dir) === dir) return null;
  }
}

/** The provisioning statements: the bundled file, or (when it is not shipped) the same text from the migrations. */
export async function provisionStatements(): Promise<string[]> {
  const file = findProvisionSql();
  return splitSqlStatements(file ? readFileSync(file, 'utf8') : await renderProvisionSql());
}

export interface ProvisionResult {
  statements_executed: number;
  tables: string[];
}

/**
 * Runs the provisioning script on `uri`, statement by statement, on one short-lived connection. Idempotent:
 * a second run changes nothing. Throws the driver's error (the caller maps it); the URI is never logged.
 */
export async function provisionDatabase(
  uri: string,
  opts: { statementTimeoutMs?: number } = {},
): Promise<ProvisionResult> {
  const statements = await provisionStatements();
  const client = new Client({
    connectionString: uri,
    application_name: 'athena-provision',
    connectionTimeoutMillis: 5000,
    statement_timeout: opts.statementTimeoutMs ?? 60_000,
  });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for (const s of statements) await client.query(s);
    return { statements_executed: statements.length, tables: provisionedTables(statements) };
  } finally {
    await client.end().catch(() => undefined);
  }
}
