import { provisionDatabase } from '@athena/store';

/** `athena provision --uri URI`: applies the idempotent control-plane schema (sql/provision.sql) to a database. */
export async function runProvisionCommand(opts: { uri: string; json?: boolean }): Promise<void> {
  const u = (() => {
    try {
      return new URL(opts.uri);
    } catch {
      throw new Error('--uri is not a valid URI; expected postgres://user:password@host:5432/database');
    }
  })();
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:')
    throw new Error('--uri must use the postgres:// or postgresql:// scheme');
  const r = await provisionDatabase(opts.uri);
  if (opts.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`executed ${r.statements_executed} statements; tables: ${r.tables.join(', ')}\n`);
}
