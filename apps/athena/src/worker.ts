import 'reflect-metadata';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as NestPinoLogger } from 'nestjs-pino';
import type { Logger as PinoLogger } from 'pino';
import { AthenaConfig, loadConfig } from '@athena/config';
import { DeferredWorker } from '@athena/deferred';
import { createRootLogger, redactSecrets } from '@athena/observability';
import { AppModule } from './app.module';

export interface WorkerOptions {
  configPath?: string;
  env?: NodeJS.ProcessEnv;
  handleSignals?: boolean;
  logDestination?: NodeJS.WritableStream;
  adjustConfig?: (config: AthenaConfig) => void;
}

export interface RunningWorker {
  app: INestApplicationContext;
  config: AthenaConfig;
  logger: PinoLogger;
  worker: DeferredWorker;
  /** Stop claiming, finish or release in-flight jobs within api.shutdown_grace_ms, close the control plane. */
  shutdown(reason?: string): Promise<void>;
}

/**
 * `athena worker`: the deferred-queue worker as its own process (no HTTP server), sharing the control plane
 * with the API processes. Needs a configured control-plane database (the embedded one belongs to one server).
 */
export async function startWorker(opts: WorkerOptions = {}): Promise<RunningWorker> {
  const env = opts.env ?? process.env;
  const early: Array<[string, string, object | undefined]> = [];
  const loaded = loadConfig({
    explicitPath: opts.configPath,
    env,
    log: (level: string, msg: string, fields?: object) => early.push([level, msg, fields]),
  });
  const config = loaded.config;
  opts.adjustConfig?.(config);
  config.gateway.deferred_query_worker_enabled = true;
  const logger = createRootLogger(config.logging, opts.logDestination).child({ process: 'worker' });
  for (const [level, msg, fields] of early) logger[level as 'info' | 'warn'](fields ?? {}, msg);
  const g = config.gateway;
  const uri = g.logging_pg_uri ?? (g.logging_client ? config.postgres_clients[g.logging_client] : undefined);
  if (!uri)
    throw new Error(
      'athena worker needs a control-plane database: set gateway.logging_pg_uri (or POSTGRES_ATHENA_LOGGING_URI) or gateway.logging_client',
    );
  const app = await NestFactory.createApplicationContext(
    AppModule.forRoot({ config, controlPlane: { uri, origin: 'configured' }, rootLogger: logger }),
    { bufferLogs: true, abortOnError: false },
  );
  app.useLogger(app.get(NestPinoLogger));
  await app.init();
  const worker = app.get(DeferredWorker);
  logger.info(
    { config: loaded.path, control_plane_uri: redactSecrets(uri), worker: worker.owner },
    'athena worker running',
  );

  let stopping: Promise<void> | null = null;
  const shutdown = (reason = 'shutdown'): Promise<void> => {
    stopping ??= (async () => {
      logger.info({ reason, grace_ms: config.api.shutdown_grace_ms, in_flight: worker.inFlight }, 'worker draining');
      await app.close();
      logger.info('worker stopped');
      logger.flush?.();
    })();
    return stopping;
  };
  if (opts.handleSignals) {
    const onSignal = (sig: NodeJS.Signals) => {
      shutdown(sig).then(
        () => process.exit(0),
        (e) => {
          logger.error({ err: e }, 'worker shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }
  return { app, config, logger, worker, shutdown };
}
