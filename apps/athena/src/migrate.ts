import { homedir } from 'node:os';
import { join } from 'node:path';
import { athenaDataDir, loadConfig } from '@athena/config';
import { createControlPlaneDataSource, startEmbeddedPostgres } from '@athena/store';

/** `athena migrate run|revert|show` — against the configured control plane, or the embedded default. */
export async function runMigrationCommand(
  action: 'run' | 'revert' | 'show',
  opts: { uri?: string; configPath?: string },
): Promise<void> {
  const { config } = loadConfig({ explicitPath: opts.configPath, log: () => undefined });
  let uri =
    opts.uri ??
    config.gateway.logging_pg_uri ??
    (config.gateway.logging_client ? config.postgres_clients[config.gateway.logging_client] : undefined);
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!uri) {
    const dataDir =
      config.embedded.data_dir ?? join(athenaDataDir(process.env, process.platform, homedir()), 'embedded-pg');
    const handle = await startEmbeddedPostgres({ dataDir, port: config.embedded.port, log: () => undefined });
    uri = handle.controlUri;
    stopEmbedded = () => handle.stop();
    process.stdout.write(`using the embedded PostgreSQL in ${dataDir}\n`);
  }
  const ds = createControlPlaneDataSource(uri, { poolMax: 1, applicationName: 'athena-migrate' });
  try {
    await ds.initialize();
    if (action === 'run') {
      const done = await ds.runMigrations({ transaction: 'each' });
      process.stdout.write(done.length ? done.map((m) => `applied ${m.name}\n`).join('') : 'nothing to apply\n');
    } else if (action === 'revert') {
      await ds.undoLastMigration({ transaction: 'each' });
      process.stdout.write('reverted the last migration\n');
    } else {
      const executed = new Set(
        (await ds.query('SELECT name FROM athena_migrations').catch(() => [])).map((r: { name: string }) => r.name),
      );
      for (const m of ds.migrations) process.stdout.write(`${executed.has(m.name!) ? '[x]' : '[ ]'} ${m.name}\n`);
    }
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await stopEmbedded?.();
  }
}
