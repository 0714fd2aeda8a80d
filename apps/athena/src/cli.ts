#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { arch, cpus, hostname, platform, release, totalmem } from 'node:os';
import { ATHENA_VERSION } from '@athena/health';
import { registerBackupCommands } from './cli-backup';

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected an integer 1..65535');
  return n;
}

function fail(err: unknown): never {
  process.stderr.write(`athena: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}

const program = new Command();
program
  .name('athena')
  .description('Athena database gateway')
  .version(ATHENA_VERSION, '-v, --version', 'print the version')
  .option('-c, --config <path>', 'config.yaml to use (skips discovery)')
  .option('--config-path <path>', 'alias of --config')
  .option('-p, --port <port>', 'HTTP port (overrides api.port)', parsePort)
  .option('--api-only', 'start the HTTP API (same as `athena server`)')
  .showHelpAfterError();

interface GlobalOpts { config?: string; configPath?: string; port?: number; apiOnly?: boolean }

async function runServer(opts: GlobalOpts): Promise<void> {
  const { startServer } = await import('./server');
  await startServer({ configPath: opts.config ?? opts.configPath, port: opts.port, handleSignals: true });
}

program
  .command('server')
  .description('start the HTTP gateway (embedded PostgreSQL when no control-plane URI is configured)')
  .option('--api-only', 'serve the API only (no background workers)')
  .option('-c, --config <path>', 'config.yaml to use')
  .option('-p, --port <port>', 'HTTP port', parsePort)
  .action(async (local: GlobalOpts) => {
    await runServer({ ...program.opts<GlobalOpts>(), ...stripUndefined(local) }).catch(fail);
  });

program
  .command('version')
  .description('print the version')
  .action(() => {
    process.stdout.write(`athena ${ATHENA_VERSION}\n`);
  });

program
  .command('diag')
  .description('print diagnostics: OS, architecture, CPUs, Node version, hostname, locale, config resolution')
  .option('--json', 'print JSON')
  .action(async (o: { json?: boolean }) => {
    const g = program.opts<GlobalOpts>();
    let config: Record<string, unknown>;
    try {
      // Lazy (keeps `athena version` fast) and through a relative module: the build rewrites `@athena/*` only in
      // static imports, so a dynamic `import('@athena/config')` would not resolve from dist/.
      const { loadConfig } = await import('./config-loader');
      const loaded = loadConfig({ explicitPath: g.config ?? g.configPath, log: () => undefined });
      config = { path: loaded.path, created: loaded.created, clients: Object.keys(loaded.config.postgres_clients) };
    } catch (e) {
      config = { error: (e as Error).message };
    }
    const info = {
      athena: ATHENA_VERSION,
      os: `${platform()} ${release()}`,
      arch: arch(),
      cpus: cpus().length,
      cpu_model: cpus()[0]?.model ?? 'unknown',
      memory_mb: Math.round(totalmem() / 1048576),
      node: process.version,
      hostname: hostname(),
      locale: Intl.DateTimeFormat().resolvedOptions().locale,
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      config,
    };
    if (o.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
    else for (const [k, v] of Object.entries(info)) process.stdout.write(`${k.padEnd(10)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
  });

const migrate = program.command('migrate').description('control-plane migrations (athena_logging)');
for (const [name, desc] of [['run', 'apply pending migrations'], ['revert', 'revert the last migration'], ['show', 'list migrations and whether they ran']] as const) {
  migrate
    .command(name)
    .description(desc)
    .option('--uri <uri>', 'control-plane PostgreSQL URI (default: gateway.logging_pg_uri / POSTGRES_ATHENA_LOGGING_URI)')
    .action(async (o: { uri?: string }) => {
      const g = program.opts<GlobalOpts>();
      const { runMigrationCommand } = await import('./migrate');
      await runMigrationCommand(name, { uri: o.uri, configPath: g.config ?? g.configPath }).catch(fail);
    });
}

program
  .command('provision')
  .description('apply the idempotent control-plane schema (sql/provision.sql) to a PostgreSQL database')
  .requiredOption('--uri <uri>', 'target PostgreSQL URI')
  .option('--json', 'print JSON')
  .action(async (o: { uri: string; json?: boolean }) => {
    const { runProvisionCommand } = await import('./provision');
    await runProvisionCommand(o).catch(fail);
  });

registerBackupCommands(program);

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const argv = process.argv.slice(2);
if (argv.length > 0 && argv.every((a) => a.startsWith('-')) && argv.includes('--api-only')) {
  // athena_rs compatibility: `athena --api-only [--port N] [--config P]` starts the server.
  program.parse(process.argv);
  runServer(program.opts<GlobalOpts>()).catch(fail);
} else {
  program.parseAsync(process.argv).catch(fail);
}
