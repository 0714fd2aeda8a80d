import { finished } from 'node:stream/promises';
import type { PoolClient } from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { DataSource } from 'typeorm';

/**
 * `COPY … FROM STDIN` of `text` (COPY text format) on the control plane, then `after` (if any), in one
 * transaction: both commit or neither does. COPY needs the driver's own connection: the transaction's.
 */
export async function copyIn(
  dataSource: DataSource,
  copySql: string,
  text: Buffer,
  after: { sql: string; params: unknown[] } | null = null,
): Promise<void> {
  await dataSource.transaction(async (m) => {
    const client = (m.queryRunner as unknown as { databaseConnection: PoolClient }).databaseConnection;
    const stream = client.query(copyFrom(copySql));
    stream.end(text);
    await finished(stream);
    if (after) await m.query(after.sql, after.params);
  });
}
