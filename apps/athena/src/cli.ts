#!/usr/bin/env node
import type { RemoteBody } from './cli-remote';
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
  .option('--pipelines <path>', 'pipeline templates file (default config/pipelines.yaml)')
  .showHelpAfterError();

interface GlobalOpts {
  config?: string;
  configPath?: string;
  port?: number;
  apiOnly?: boolean;
  pipelines?: string;
}

async function runServer(opts: GlobalOpts): Promise<void> {
  const { startServer } = await import('./server');
  const { apiOnly, pipelines } = opts;
  await startServer({
    configPath: opts.config ?? opts.configPath,
    port: opts.port,
    handleSignals: true,
    adjustConfig:
      apiOnly || pipelines
        ? (c) => {
            if (apiOnly) c.gateway.deferred_query_worker_enabled = false;
            if (pipelines) c.gateway.pipelines_path = pipelines;
          }
        : undefined,
  });
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
  .command('worker')
  .description('run the deferred-queue worker as its own process (no HTTP); needs a configured control-plane database')
  .option('-c, --config <path>', 'config.yaml to use')
  .action(async (local: GlobalOpts) => {
    const o = { ...program.opts<GlobalOpts>(), ...stripUndefined(local) };
    const { startWorker } = await import('./worker');
    await startWorker({ configPath: o.config ?? o.configPath, handleSignals: true }).catch(fail);
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
    else
      for (const [k, v] of Object.entries(info))
        process.stdout.write(`${k.padEnd(10)} ${typeof v === 'object' ? JSON.stringify(v) : v}\n`);
  });

const migrate = program.command('migrate').description('control-plane migrations (athena_logging)');
for (const [name, desc] of [
  ['run', 'apply pending migrations'],
  ['revert', 'revert the last migration'],
  ['show', 'list migrations and whether they ran'],
] as const) {
  migrate
    .command(name)
    .description(desc)
    .option(
      '--uri <uri>',
      'control-plane PostgreSQL URI (default: gateway.logging_pg_uri / POSTGRES_ATHENA_LOGGING_URI)',
    )
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

/** The saved-clients file: `--file` / `--clients-file`, else config/clients.json (relative to the working directory). */
function clientsFile(o: { file?: string }): string {
  return o.file ?? 'config/clients.json';
}

interface RemoteOpts {
  client?: string;
  clientsFile?: string;
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** Default gateway URL: `--url`, else ATHENA_URL, else the local one on api.port of the discovered config. */
async function gatewayUrl(o: RemoteOpts): Promise<string> {
  if (o.url) return o.url.replace(/\/+$/, '');
  if (process.env.ATHENA_URL) return process.env.ATHENA_URL.replace(/\/+$/, '');
  const g = program.opts<GlobalOpts>();
  let port = g.port ?? 4052;
  try {
    const { loadConfig } = await import('./config-loader');
    if (g.port === undefined)
      port = loadConfig({ explicitPath: g.config ?? g.configPath, log: () => undefined }).config.api.port;
  } catch {
    /* no config: default port */
  }
  return `http://127.0.0.1:${port}`;
}

/** Runs a data command: usage errors exit 1, remote errors (non-2xx, unreachable) exit 2. */
async function remote(
  o: RemoteOpts,
  path: string,
  body: () => unknown,
  print: (b: RemoteBody) => string,
): Promise<void> {
  const { EXIT, UsageError, postJson, readClients } = await import('./cli-remote');
  let payload: unknown;
  let client: string;
  try {
    // Without --client: the `default` of config/clients.json (a name the gateway must know as a client).
    const fallback = o.client === undefined ? readClients(clientsFile({ file: o.clientsFile })).default : null;
    const chosen = o.client ?? fallback;
    if (!chosen)
      throw new UsageError(
        `give --client NAME (no default client in ${clientsFile({ file: o.clientsFile })}; see \`athena clients set-default\`)`,
      );
    client = chosen;
    payload = body();
  } catch (e) {
    process.stderr.write(`athena: ${(e as Error).message}\n`);
    process.exit(e instanceof UsageError ? EXIT.usage : EXIT.remote);
  }
  const url = `${await gatewayUrl(o)}${path}`;
  const headers: Record<string, string> = { 'x-athena-client': client };
  const key = o.apiKey ?? process.env.ATHENA_API_KEY;
  if (key) headers.apikey = key;
  let r: { status: number; body: RemoteBody };
  try {
    r = await postJson(url, headers, payload);
  } catch (e) {
    process.stderr.write(`athena: cannot reach the gateway at ${url}: ${(e as Error).message}\n`);
    process.exit(EXIT.remote);
  }
  if (r.status >= 400) {
    process.stderr.write(
      `athena: ${r.status} ${r.body?.code ?? ''} ${r.body?.message ?? ''}${r.body?.error ? ` — ${r.body.error}` : ''}\n`,
    );
    if (o.json) process.stdout.write(`${JSON.stringify(r.body, null, 2)}\n`);
    process.exit(EXIT.remote);
  }
  process.stdout.write(o.json ? `${JSON.stringify(r.body, null, 2)}\n` : `${print(r.body)}\n`);
}

const remoteOptions = (c: Command) =>
  c
    .option('--client <name>', 'client to run on (X-Athena-Client; default: the `default` of the clients file)')
    .option('--clients-file <path>', 'clients file for the default client (default config/clients.json)')
    .option('--url <url>', 'gateway base URL (default $ATHENA_URL or http://127.0.0.1:<api.port>)')
    .option('--api-key <key>', 'gateway API key (default $ATHENA_API_KEY)')
    .option('--json', 'print the JSON answer');

remoteOptions(program.command('fetch').description('run a fetch against a running gateway (POST /gateway/fetch)'))
  .option('--body-json <json>', 'the fetch payload as JSON')
  .option('--body-file <path>', 'a file holding the fetch payload')
  .action(async (o: RemoteOpts & { bodyJson?: string; bodyFile?: string }) => {
    const { jsonInput } = await import('./cli-remote');
    await remote(
      o,
      '/gateway/fetch',
      () => jsonInput(o.bodyJson, o.bodyFile, 'body'),
      (b) => {
        const rows = Array.isArray(b.data) ? b.data : [];
        return [`${b.message}`, ...rows.map((r: unknown) => JSON.stringify(r))].join('\n');
      },
    );
  });

remoteOptions(
  program
    .command('pipeline')
    .description('run a pipeline on a running gateway (POST /pipelines, or /pipelines/simulate with --dry-run)'),
)
  .option('--pipeline <name>', 'template name from the pipelines file')
  .option('--payload-json <json>', 'inline pipeline payload (overrides the template)')
  .option('--payload-file <path>', 'a file holding the pipeline payload')
  .option('--dry-run', 'fetch and transform only; write nothing')
  .action(
    async (o: RemoteOpts & { pipeline?: string; payloadJson?: string; payloadFile?: string; dryRun?: boolean }) => {
      const { jsonInput, UsageError } = await import('./cli-remote');
      await remote(
        o,
        o.dryRun ? '/pipelines/simulate' : '/pipelines',
        () => {
          if (!o.pipeline && o.payloadJson === undefined && o.payloadFile === undefined)
            throw new UsageError('give --pipeline NAME, --payload-json or --payload-file');
          const inline =
            o.payloadJson !== undefined || o.payloadFile !== undefined
              ? jsonInput(o.payloadJson, o.payloadFile, 'payload')
              : {};
          if (inline === null || typeof inline !== 'object' || Array.isArray(inline))
            throw new UsageError('the pipeline payload must be a JSON object');
          return { ...(inline as object), ...(o.pipeline ? { pipeline: o.pipeline } : {}) };
        },
        (b) =>
          `fetched ${b.rows_fetched}, ${b.dry_run ? `would insert ${b.would_insert}` : `inserted ${b.rows_inserted}`} (${b.source_client} → ${b.sink_client}, run ${b.pipeline_run_id})`,
      );
    },
  );

const clients = program.command('clients').description('saved PostgreSQL clients in config/clients.json');
clients
  .command('list')
  .description("list the config's clients and the saved ones (URIs redacted)")
  .option('--file <path>', 'clients file (default config/clients.json)')
  .option('--json', 'print JSON')
  .action(async (o: { file?: string; json?: boolean }) => {
    const { readClients, redactUri } = await import('./cli-remote');
    const saved = readClients(clientsFile(o));
    let configured: Record<string, string> = {};
    try {
      const { loadConfig } = await import('./config-loader');
      const g = program.opts<GlobalOpts>();
      configured = loadConfig({ explicitPath: g.config ?? g.configPath, log: () => undefined }).config.postgres_clients;
    } catch {
      /* no config */
    }
    const rows = [
      ...Object.entries(configured).map(([name, uri]) => ({
        name,
        uri: redactUri(uri),
        source: 'config',
        default: false,
      })),
      ...Object.entries(saved.clients).map(([name, uri]) => ({
        name,
        uri: redactUri(uri),
        source: 'saved',
        default: saved.default === name,
      })),
    ];
    if (o.json) process.stdout.write(`${JSON.stringify({ default: saved.default, clients: rows }, null, 2)}\n`);
    else
      for (const r of rows)
        process.stdout.write(`${r.default ? '*' : ' '} ${r.name.padEnd(20)} ${r.source.padEnd(7)} ${r.uri}\n`);
  });
clients
  .command('add <name> <uri>')
  .description('save a client (postgres:// URI)')
  .option('--file <path>', 'clients file (default config/clients.json)')
  .action(async (name: string, uri: string, o: { file?: string }) => {
    const { readClients, writeClients } = await import('./cli-remote');
    if (!/^[A-Za-z0-9_-]{1,63}$/.test(name)) usage(`invalid client name "${name}"`);
    if (!/^postgres(ql)?:\/\//.test(uri)) usage('the URI must start with postgres:// or postgresql://');
    const c = readClients(clientsFile(o));
    c.clients[name] = uri;
    writeClients(clientsFile(o), c);
    process.stdout.write(`saved client ${name}\n`);
  });
clients
  .command('remove <name>')
  .description('remove a saved client')
  .option('--file <path>', 'clients file (default config/clients.json)')
  .action(async (name: string, o: { file?: string }) => {
    const { readClients, writeClients } = await import('./cli-remote');
    const c = readClients(clientsFile(o));
    if (!(name in c.clients)) usage(`no saved client "${name}"`);
    delete c.clients[name];
    if (c.default === name) c.default = null;
    writeClients(clientsFile(o), c);
    process.stdout.write(`removed client ${name}\n`);
  });
clients
  .command('set-default <name>')
  .description('mark a saved client as the default')
  .option('--file <path>', 'clients file (default config/clients.json)')
  .action(async (name: string, o: { file?: string }) => {
    const { readClients, writeClients } = await import('./cli-remote');
    const c = readClients(clientsFile(o));
    if (!(name in c.clients)) usage(`no saved client "${name}"`);
    c.default = name;
    writeClients(clientsFile(o), c);
    process.stdout.write(`default client: ${name}\n`);
  });

function usage(msg: string): never {
  process.stderr.write(`athena: ${msg}\n`);
  process.exit(1);
}
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
