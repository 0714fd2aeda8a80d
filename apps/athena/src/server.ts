import 'reflect-metadata';
import { ForbiddenException, ValidationPipe } from '@nestjs/common';
import { ApplicationConfig, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AthenaConfig, athenaDataDir, loadConfig } from '@athena/config';
import { DriverRegistry } from '@athena/drivers';
import { LifecycleService } from '@athena/health';
import { AuthGuard } from '@athena/auth';
import { GatewayController } from '@athena/gateway';
import {
  AthenaExceptionFilter,
  checkRequestLine,
  clientErrorHandler,
  exceptionLogger,
  frameworkErrors,
  genRequestId,
  installDirectRoutes,
  installJsonBodyParser,
  MethodTable,
  replyWithError,
} from '@athena/http';
import { FLAT_LINE, MetricsService, createRootLogger, redactSecrets, redactUrl } from '@athena/observability';
import { ControlPlaneTarget, EmbeddedPostgresHandle, startEmbeddedPostgres } from '@athena/store';
import { AppModule } from './app.module';

/** Routes whose calls are logged by the gateway service's `gateway_trace` line (one line per call, not two). */
const GATEWAY_TRACED_ROUTES = new Set([
  '/gateway/fetch',
  '/gateway/data',
  '/data',
  '/gateway/insert',
  '/gateway/update',
  '/gateway/delete',
  '/gateway/query',
]);

export interface StartOptions {
  /** `--config` / `--config-path`. */
  configPath?: string;
  /** `--port` (overrides api.port; 0 = any free port). */
  port?: number;
  env?: NodeJS.ProcessEnv;
  /** Install SIGTERM/SIGINT handlers that drain and exit (the CLI does; tests don't). */
  handleSignals?: boolean;
  /** Where JSON logs go (default stdout). */
  logDestination?: NodeJS.WritableStream;
  /** Last-moment adjustments to the validated config (tests). */
  adjustConfig?: (config: AthenaConfig) => void;
}

export interface RunningServer {
  app: NestFastifyApplication;
  config: AthenaConfig;
  configPath: string;
  url: string;
  port: number;
  logger: PinoLogger;
  embedded: EmbeddedPostgresHandle | null;
  /** Drain and stop: /ready → 503, stop accepting, finish in-flight work (bounded), close pools and DBs. */
  shutdown(reason?: string): Promise<void>;
}

/** Decides where the control plane lives; starts the embedded PostgreSQL when nothing is configured. */
async function resolveControlPlane(
  config: AthenaConfig,
  logger: PinoLogger,
  env: NodeJS.ProcessEnv,
): Promise<{ target: ControlPlaneTarget; embedded: EmbeddedPostgresHandle | null }> {
  const g = config.gateway;
  if (g.logging_pg_uri) return { target: { uri: g.logging_pg_uri, origin: 'configured' }, embedded: null };
  const byClient = g.logging_client ? config.postgres_clients[g.logging_client] : undefined;
  if (byClient) return { target: { uri: byClient, origin: 'configured' }, embedded: null };
  if (!config.embedded.enabled) {
    throw new Error(
      'No control-plane database configured: set gateway.logging_pg_uri (or POSTGRES_ATHENA_LOGGING_URI), or gateway.logging_client naming a postgres_clients entry, or enable embedded.enabled',
    );
  }
  const dataDir = config.embedded.data_dir ?? join(athenaDataDir(env, process.platform, homedir()), 'embedded-pg');
  const log = logger.child({ component: 'embedded-postgres' });
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: config.embedded.port,
    log: (level: 'info' | 'warn' | 'error', msg: string, fields?: object) => log[level](fields ?? {}, msg),
  });
  if (!config.postgres_clients.local) config.postgres_clients.local = embedded.uri;
  return { target: { uri: embedded.controlUri, origin: 'embedded' }, embedded };
}

export async function startServer(opts: StartOptions = {}): Promise<RunningServer> {
  const bootStarted = performance.now();
  const env = opts.env ?? process.env;
  const early: Array<[string, string, object | undefined]> = [];
  const loaded = loadConfig({
    explicitPath: opts.configPath,
    env,
    overrides: opts.port !== undefined ? { port: opts.port } : undefined,
    log: (level: string, msg: string, fields?: object) => early.push([level, msg, fields]),
  });
  const config = loaded.config;
  opts.adjustConfig?.(config);
  const logger = createRootLogger(config.logging, opts.logDestination);
  for (const [level, msg, fields] of early) logger[level as 'info' | 'warn'](fields ?? {}, msg);
  for (const w of loaded.warnings) logger.warn({ config: loaded.path }, w);
  logger.info({ config: loaded.path, created: loaded.created }, 'configuration loaded');

  const { target, embedded } = await resolveControlPlane(config, logger, env);
  let app: NestFastifyApplication;
  try {
    app = await NestFactory.create<NestFastifyApplication>(
      AppModule.forRoot({ config, controlPlane: target, rootLogger: logger }),
      new FastifyAdapter({
        // No Nest middleware is used: without @fastify/middie no onRequest hook runs for it on every request (a
        // module that configures middleware later fails at boot: the adapter then has no `use`).
        skipMiddie: true,
        bodyLimit: config.api.body_limit_bytes,
        genReqId: genRequestId,
        requestIdHeader: false,
        requestTimeout: config.api.request_timeout_ms,
        return503OnClosing: true,
        trustProxy: false,
        frameworkErrors,
        clientErrorHandler,
      }),
      { bufferLogs: true, abortOnError: false, bodyParser: false },
    );
  } catch (e) {
    await embedded?.stop();
    throw e;
  }
  app.useLogger(app.get(NestPinoLogger));
  app.useGlobalPipes(new ValidationPipe({ whitelist: true, transform: true, forbidUnknownValues: false }));
  if (config.api.cors.enabled) {
    app.enableCors({ origin: config.api.cors.origins.includes('*') ? true : config.api.cors.origins });
  }

  const metrics = app.get(MetricsService);
  const drivers = app.get(DriverRegistry);
  metrics.setPoolSource(() => drivers.entries().map(([client, d]) => ({ client, ...d.poolStats() })));
  const fastify = app.getHttpAdapter().getInstance();
  const httpLog = logger.child({ component: 'http' }, FLAT_LINE); // flat fields; the path goes through redactUrl
  installJsonBodyParser(fastify, config.api.body_limit_bytes);
  const methodTable = new MethodTable();
  methodTable.track(fastify);
  // The hot read routes skip Nest's router proxy (bench/README.md "Issue 15"); same hooks, guard, envelope.
  const guard = app.get(AuthGuard);
  const errorLog = exceptionLogger(logger);
  const gateway = app.get(GatewayController);
  installDirectRoutes(
    fastify,
    [
      { controller: gateway, method: 'fetch' },
      { controller: gateway, method: 'data' },
    ],
    {
      activate: (req, handler, cls) => guard.activateHttp(req, handler, cls),
      fail: (err, req, reply) => replyWithError(errorLog, err, req, reply),
      refused: () => new ForbiddenException(),
      // The direct handler reproduces exactly these app-wide enhancers; anything added later must be refused.
      unsupportedGlobals: () => {
        const c = app.get(ApplicationConfig);
        const extra = [
          ...c.getGlobalInterceptors(),
          ...c.getGlobalRequestInterceptors(),
          ...c.getGlobalPipes().filter((p) => !(p instanceof ValidationPipe)),
          ...c.getGlobalRequestPipes(),
          ...c.getGlobalGuards().filter((g) => g !== guard),
          ...c.getGlobalRequestGuards(),
          ...c.getGlobalFilters().filter((f) => !(f instanceof AthenaExceptionFilter)),
          ...c.getGlobalRequestFilters(),
        ];
        return extra.length ? `global ${extra.map((e) => e.constructor.name).join(', ')}` : null;
      },
    },
  );
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id);
    const refused =
      checkRequestLine(request.method, request.url) ??
      (request.is404 ? methodTable.refusal(request.method, request.url) : null);
    done(refused ?? undefined);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.observeHttp(request.method, route, reply.statusCode, reply.elapsedTime / 1000);
    // Gateway calls already emit one wide gateway_trace line; every other route gets a completion line.
    if (!GATEWAY_TRACED_ROUTES.has(route) || reply.statusCode >= 400) {
      httpLog.info(
        {
          request_id: request.id,
          method: request.method,
          route,
          path: redactUrl(request.url),
          status: reply.statusCode,
          duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
        },
        'request completed',
      );
    }
    done();
  });
  const { setupOpenApi } = await import('./openapi');
  setupOpenApi(app);
  try {
    await app.listen({ port: config.api.port, host: config.api.host });
  } catch (e) {
    // E.g. the port is taken: release what the boot opened (pools, the embedded PostgreSQL) before failing.
    await app.close().catch(() => undefined);
    await embedded?.stop();
    throw e;
  }
  const address = fastify.server.address();
  const port = typeof address === 'object' && address ? address.port : config.api.port;
  const lifecycle = app.get(LifecycleService);
  lifecycle.markListening();
  const url = `http://${config.api.host === '0.0.0.0' || config.api.host === '::' ? '127.0.0.1' : config.api.host}:${port}`;
  logger.info(
    {
      url,
      docs: `${url}/docs`,
      boot_ms: Math.round(performance.now() - bootStarted),
      control_plane: target.origin,
      control_plane_uri: redactSecrets(target.uri),
    },
    'athena gateway listening',
  );

  let stopping: Promise<void> | null = null;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    if (stopping) return stopping;
    stopping = (async () => {
      const started = Date.now();
      logger.info({ reason, grace_ms: config.api.shutdown_grace_ms }, 'draining: /ready now answers 503');
      lifecycle.startDraining();
      if (config.api.shutdown_delay_ms > 0) await sleep(config.api.shutdown_delay_ms);
      const closed = app.close().then(() => true);
      let graceTimer: NodeJS.Timeout | undefined;
      const graceOver = new Promise<boolean>((r) => {
        graceTimer = setTimeout(() => r(false), config.api.shutdown_grace_ms);
      });
      const inTime = await Promise.race([closed, graceOver]);
      clearTimeout(graceTimer);
      if (!inTime) {
        logger.warn({ grace_ms: config.api.shutdown_grace_ms }, 'grace period over: closing remaining connections');
        fastify.server.closeAllConnections();
        await closed;
      }
      await embedded?.stop();
      logger.info({ took_ms: Date.now() - started }, 'stopped');
      logger.flush?.();
    })();
    return stopping;
  };

  if (opts.handleSignals) {
    const onSignal = (sig: NodeJS.Signals) => {
      shutdown(sig).then(
        () => process.exit(0),
        (e) => {
          logger.error({ err: e }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return { app, config, configPath: loaded.path, url, port, logger, embedded, shutdown };
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
