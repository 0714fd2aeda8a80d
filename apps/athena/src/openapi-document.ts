import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import type { OpenAPIObject } from '@nestjs/swagger';
import { join } from 'node:path';
import pino from 'pino';
import { validateConfig } from '@athena/config';
import { AppModule } from './app.module';
import { createOpenApiDocument } from './openapi';

/** Where the committed copy of the generated document lives (`npm run openapi:snapshot` rewrites it). */
export const OPENAPI_SNAPSHOT_PATH = join(__dirname, '..', '..', '..', 'docs', 'openapi.snapshot.yaml');

/**
 * The OpenAPI document of the real app module, built without any service: Nest's preview mode scans the modules
 * and controllers but instantiates no provider, so nothing connects to a database, Redis or the network.
 */
export async function generateOpenApiDocument(): Promise<OpenAPIObject> {
  const config = validateConfig({}, { env: {}, platform: 'linux', homedir: '/nonexistent' });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      controlPlane: { uri: 'postgres://unused@127.0.0.1:1/unused', origin: 'configured' },
      rootLogger: pino({ level: 'silent' }),
    }),
    new FastifyAdapter(),
    { preview: true, logger: false, abortOnError: false },
  );
  try {
    return createOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
