import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiForbiddenResponse,
  ApiExtraModels,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { RequiresTableRight } from '@athena/auth';
import { GatewayCall } from '@athena/common';
import { CLIENT_NAME_SCHEMA, invalidClientName, isValidClientName } from '@athena/common';
import { Call } from '@athena/http';
import { PipelineSourceDto } from '@athena/gateway';
import { PipelineTemplates } from './pipeline-templates';
import { PipelineResult, PipelinesService } from './pipelines.service';
import { PipelinesErrors } from './errors';

const ClientHeader = ApiHeader({
  name: 'X-Athena-Client',
  required: true,
  schema: CLIENT_NAME_SCHEMA,
  description: 'Default client of the source and the sink (`source.client` / `sink.client` override it)',
});
const TABLE = { type: 'string', pattern: '^\\s*([A-Za-z_][A-Za-z0-9_]{0,62}[.])?[A-Za-z_][A-Za-z0-9_]{0,62}\\s*$' };
const PipelineBody = ApiBody({
  description:
    "Template name and/or inline steps; inline fields override the template's (per key). Without `pipeline`, `source` and `sink` are required.",
  schema: {
    type: 'object',
    properties: {
      pipeline: { type: 'string', nullable: true, description: 'Template name from the pipelines file' },
      source: {
        nullable: true,
        allOf: [{ $ref: getSchemaPath(PipelineSourceDto) }],
        description: 'A fetch payload (table_name or view_name, columns, conditions, limit …) plus optional `client`',
      },
      transform: {
        type: 'object',
        nullable: true,
        additionalProperties: true,
        properties: {
          group_by: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]{0,62}$' },
          column_aliases: {
            type: 'object',
            nullable: true,
            additionalProperties: true,
            description: 'column → new name (entries whose value is not a string are ignored)',
          },
        },
        anyOf: [
          { required: ['group_by'] },
          { required: ['column_aliases'], properties: { column_aliases: { type: 'object' } } },
        ],
        description:
          'group_by, time_granularity, aggregation_column, aggregation_strategy, aggregation_dedup, column_aliases',
      },
      sink: {
        type: 'object',
        nullable: true,
        additionalProperties: true,
        properties: { table_name: TABLE, client: { ...CLIENT_NAME_SCHEMA, nullable: true } },
        description: '{table_name, client?}',
      },
      dry_run: { type: 'boolean', nullable: true },
    },
    anyOf: [
      { required: ['pipeline'], properties: { pipeline: { type: 'string', minLength: 1 } } },
      {
        required: ['source', 'sink'],
        properties: {
          source: {
            type: 'object',
            anyOf: [
              { required: ['table_name'], properties: { table_name: TABLE } },
              { required: ['view_name'], properties: { view_name: TABLE } },
            ],
          },
          sink: { type: 'object', required: ['table_name'] },
        },
      },
    ],
    example: {
      pipeline: 'copy_items',
      source: { table_name: 'items', conditions: [{ eq_column: 'qty', eq_value: 5 }] },
      sink: { table_name: 'items_copy' },
    },
  },
});
const NoClient400 = ApiBadRequestResponse({
  description:
    '`missing_client_header`, `unknown_pipeline`, `invalid_pipeline`, `unknown_column` (sink column mismatch; nothing written) …',
});
const Unauthorized = ApiUnauthorizedResponse({ description: 'Enforcement on: API key required / invalid' });
const NotFound = ApiNotFoundResponse({ description: 'Unknown client or table (source or sink)' });
const ResultOk = ApiOkResponse({
  description: 'Bare object (not the envelope), as in the reference',
  schema: {
    example: {
      data: [{ id: 1 }],
      rows_fetched: 1,
      rows_inserted: 1,
      errors: [],
      dry_run: false,
      would_insert: 1,
      source_client: 'main',
      sink_client: 'main',
      pipeline_run_id: '5d7c…',
    },
  },
});

/** Pipelines over HTTP: the edge of PipelinesService (rights: source `<t>.read`, sink `<t>.write`). */
@ApiTags('Pipelines')
@ApiExtraModels(PipelineSourceDto)
@Controller('pipelines')
export class PipelinesController {
  constructor(
    private readonly pipelines: PipelinesService,
    private readonly templates: PipelineTemplates,
  ) {}

  @Post()
  @RequiresTableRight('read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run a pipeline',
    description: 'Source fetch → optional transform → one atomic sink insert. `dry_run: true` writes nothing.',
  })
  @ClientHeader
  @PipelineBody
  @ResultOk
  @NoClient400
  @Unauthorized
  @NotFound
  @ApiForbiddenResponse({ description: 'Missing the source read or sink write right' })
  run(@Call() call: GatewayCall, @Body() body: unknown): Promise<PipelineResult> {
    requireClient(call);
    return this.pipelines.run(call, body);
  }

  @Post('simulate')
  @RequiresTableRight('read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Simulate a pipeline',
    description: 'Fetch + transform only; nothing is written. `data` holds the rows that would be inserted.',
  })
  @ClientHeader
  @PipelineBody
  @ResultOk
  @NoClient400
  @Unauthorized
  @NotFound
  @ApiForbiddenResponse({ description: 'Missing the source read right' })
  simulate(@Call() call: GatewayCall, @Body() body: unknown): Promise<PipelineResult> {
    requireClient(call);
    return this.pipelines.run(call, body, true);
  }

  @Get('templates')
  @RequiresTableRight('read')
  @ApiOperation({
    summary: 'List pipeline templates',
    description: 'From the pipelines file (`--pipelines PATH`, default config/pipelines.yaml).',
  })
  @ClientHeader
  @ApiBadRequestResponse({ description: '`missing_client_header`' })
  @Unauthorized
  @ApiForbiddenResponse({ description: 'API key bound to another client' })
  @ApiOkResponse({
    schema: {
      example: {
        templates: [
          {
            name: 'copy_items',
            source_table: 'items',
            sink_table: 'items_copy',
            has_transform: false,
            source: 'yaml',
            mutable: false,
            source_client: null,
            sink_client: null,
            definition: { source: { table_name: 'items' }, transform: null, sink: { table_name: 'items_copy' } },
          },
        ],
      },
    },
  })
  list(@Call() call: GatewayCall) {
    requireClient(call);
    return {
      templates: [...this.templates.all().values()].map((t) => ({
        name: t.name,
        source_table: (t.source?.table_name ?? t.source?.view_name ?? null) as string | null,
        sink_table: (t.sink?.table_name ?? null) as string | null,
        has_transform: !!t.transform,
        source: 'yaml',
        mutable: false,
        source_client: (t.source?.client ?? null) as string | null,
        sink_client: (t.sink?.client ?? null) as string | null,
        definition: { source: t.source ?? null, transform: t.transform ?? null, sink: t.sink ?? null },
      })),
    };
  }
}

function requireClient(call: GatewayCall): void {
  if (!call.client)
    throw PipelinesErrors.missingClientHeader(
      'Missing X-Athena-Client header',
      'Name the client with the X-Athena-Client header',
    );
  if (!isValidClientName(call.client)) throw invalidClientName('invalid_client', 'X-Athena-Client');
}
