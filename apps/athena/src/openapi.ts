import type { INestApplication } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { stringify } from 'yaml';
import { applySchemaExtras, errorCatalogue } from '@athena/common';
import { ATHENA_VERSION } from '@athena/health';
import '@athena/http'; // registers the edge's error catalogue

/** Builds the OpenAPI 3 document from the decorators of the app's controllers and DTOs. */
export function createOpenApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Athena gateway')
    .setDescription(
      'Structured data requests against PostgreSQL, ScyllaDB/Cassandra and Supabase, routed by the `X-Athena-Client` header. Gateway routes need an API key holding the route\'s right when enforcement is on; `/admin/*` needs the static admin key. Errors use the envelope `{status:"error", code, message, error}`.',
    )
    .setVersion(ATHENA_VERSION)
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-Athena-Admin-Key',
        description: 'Static admin key (env ATHENA_KEY_12) for /admin/* routes',
      },
      'adminKey',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'apikey',
        description:
          'Gateway API key `ath_{public}.{secret}` (also accepted: x-api-key, x-athena-key, Authorization: Bearer)',
      },
      'apiKey',
    )
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'Gateway API key as a bearer token' }, 'bearer')
    .build();
  const document = SwaggerModule.createDocument(app, config);
  document.security = [{ apiKey: [] }, { bearer: [] }, {}];
  applySchemaExtras(document.components?.schemas);
  const codes = errorCatalogue();
  document.info.description += `\n\n## Error codes\n\n| code | HTTP status | library | meaning |\n|---|---|---|---|\n${codes
    .map((e) => `| \`${e.code}\` | ${e.status} | ${e.library} | ${e.meaning.replace(/\|/g, '\\|')} |`)
    .join('\n')}`;
  (document as OpenAPIObject & { 'x-athena-error-codes'?: unknown })['x-athena-error-codes'] = codes.map(
    ({ code, status, library, meaning }) => ({ code, status, library, meaning }),
  );
  return document;
}

/** The document as served at `/openapi.yaml` (no anchors/aliases). */
export function openApiYaml(document: OpenAPIObject): string {
  return stringify(document, { aliasDuplicateObjects: false });
}

/** Serves `/docs`, `/openapi.json` and `/openapi.yaml`. */
export function setupOpenApi(app: NestFastifyApplication): void {
  const document = createOpenApiDocument(app);
  const yamlText = openApiYaml(document);
  const jsonText = JSON.stringify(document);
  SwaggerModule.setup('docs', app, document, {
    jsonDocumentUrl: '/docs-json',
    yamlDocumentUrl: '/docs-yaml',
    customSiteTitle: 'Athena gateway API',
  });
  const fastify = app.getHttpAdapter().getInstance();
  fastify.get('/openapi.yaml', (_req, reply) => {
    reply.header('content-type', 'application/yaml; charset=utf-8').send(yamlText);
  });
  fastify.get('/openapi.json', (_req, reply) => {
    reply.header('content-type', 'application/json; charset=utf-8').send(jsonText);
  });
}
