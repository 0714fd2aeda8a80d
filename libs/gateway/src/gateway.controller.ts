import { Body, Controller, Delete, Get, HttpCode, Post, Put, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiTooManyRequestsResponse,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiQuery,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RequiresRight, RequiresTableRight } from '@athena/auth';
import type { GatewayCall } from '@athena/common';
import { CLIENT_NAME_SCHEMA } from '@athena/common';
import { Call, HttpReply, respond } from '@athena/http';
import {
  DeferredAcceptedDto,
  DeleteRequestDto,
  ErrorEnvelopeDto,
  FetchRequestDto,
  InsertRequestDto,
  CONDITION_MODELS,
  IDENT_PATTERN,
  MutationEnvelopeDto,
  OperatorConditionDto,
  QueryRequestDto,
  RowsEnvelopeDto,
  TABLE_PATTERN,
  UpdateRequestDto,
} from './dto/gateway.dto';
import { GatewayService, RAW_QUERY_RIGHT } from './gateway.service';

const ClientHeader = ApiHeader({
  name: 'X-Athena-Client',
  required: true,
  schema: CLIENT_NAME_SCHEMA,
  description: 'Logical client (database) to run the request on, e.g. `local`',
});
const StripNullsHeader = ApiHeader({
  name: 'X-Strip-Nulls',
  required: false,
  description: '`true|1|yes|on` drops null fields from rows (the body field `strip_nulls` wins when both are sent)',
});
const TenantHeaders = [
  ApiHeader({ name: 'X-User-Id', required: false, description: 'Caller identity, recorded in the request log' }),
  ApiHeader({ name: 'X-Company-Id', required: false, description: 'Tenant hint, recorded in the request log' }),
  ApiHeader({ name: 'X-Organization-Id', required: false, description: 'Tenant hint, recorded in the request log' }),
];
/** `X-Athena-Defer: true` queues the call and answers 202 at once (fetch and raw query only; see README "Deferred queue"). */
const DeferHeader = ApiHeader({
  name: 'X-Athena-Defer',
  required: false,
  description:
    '`true` queues the request for the deferred worker and answers 202 with `data.request_id` and `data.status_url` (payload and rights are checked first)',
});
/** Alternative targets (issue 6): both off by default, see README "Supabase" and "Direct connections". */
const TargetHeaders = [
  ApiHeader({
    name: 'x-supabase-url',
    required: false,
    description:
      'With `X-Athena-Client: custom_supabase`: the Supabase project URL (only when gateway.custom_supabase is enabled and the host is allow-listed)',
  }),
  ApiHeader({
    name: 'x-supabase-key',
    required: false,
    description: 'With `X-Athena-Client: custom_supabase`: the project key (secret; never logged)',
  }),
  ApiHeader({
    name: 'x-pg-uri',
    required: false,
    description:
      'Direct PostgreSQL connection instead of a client (only when gateway.direct_connections is enabled; `X-JDBC-URL` and `x-athena-jdbc-url` also accepted)',
  }),
];
const CachedOk = ApiOkResponse({
  type: RowsEnvelopeDto,
  headers: {
    'X-Athena-Cache': {
      description: '`hit`, `miss` or `bypass` (Cache-Control, or caching off)',
      schema: { type: 'string', enum: ['hit', 'miss', 'bypass'] },
    },
    'X-Athena-Cache-Tier': {
      description: 'On a hit: the tier that answered',
      schema: { type: 'string', enum: ['memory', 'redis'] },
    },
  },
});
/** Docs of a cached read route (see README "Cache"; the lookup runs in the service's fetch path). */
function Cached(): MethodDecorator {
  return (target, key, desc) => {
    for (const d of [
      ApiHeader({
        name: 'Cache-Control',
        required: false,
        description:
          '`no-cache` skips the cache lookup (the fresh answer is still cached); `no-store` skips lookup and store',
      }),
      CachedOk,
    ])
      d(target, key, desc);
  };
}
function Common(): MethodDecorator {
  return (target, key, desc) => {
    for (const d of [
      ClientHeader,
      ...TenantHeaders,
      ...TargetHeaders,
      ApiBadRequestResponse({
        type: ErrorEnvelopeDto,
        description: 'Bad payload, condition, identifier or missing X-Athena-Client',
      }),
      ApiNotFoundResponse({ type: ErrorEnvelopeDto, description: 'Unknown client or table' }),
      ApiUnprocessableEntityResponse({
        type: ErrorEnvelopeDto,
        description:
          "`unsupported_by_backend`: the client's backend cannot serve this request (e.g. a CQL filter that would need a full scan)",
      }),
      ApiUnauthorizedResponse({
        type: ErrorEnvelopeDto,
        description: 'Enforcement on: API key required / invalid / inactive / expired',
      }),
      ApiForbiddenResponse({
        type: ErrorEnvelopeDto,
        description: 'API key bound to another client, or missing the right this table/operation needs',
      }),
      ApiServiceUnavailableResponse({ type: ErrorEnvelopeDto, description: 'Backend unavailable (Retry-After set)' }),
      ApiTooManyRequestsResponse({
        type: ErrorEnvelopeDto,
        description:
          '`admission_rejected`: the global or per-client request budget is used up (Retry-After set; see README "Admission control")',
      }),
      ApiAcceptedResponse({
        type: DeferredAcceptedDto,
        description:
          'Over budget with gateway.admission_defer_on_limit_enabled and a matching route prefix: queued for the worker; poll `data.status_url`',
      }),
    ]) {
      d(target, key, desc);
    }
  };
}

/**
 * Gateway CRUD routes, the HTTP edge of GatewayService: `@Call()` is the request as a GatewayCall (built once;
 * authenticated by the auth hook), the service parses, authorizes and runs it, `respond` maps the outcome to the
 * status and headers. The decorators declare the policy (authentication before the body is read) and the docs.
 */
@ApiTags('Gateway')
@ApiExtraModels(OperatorConditionDto, ...CONDITION_MODELS)
@Controller()
export class GatewayController {
  constructor(private readonly gateway: GatewayService) {}

  @Post('gateway/fetch')
  @RequiresTableRight('read')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Fetch rows',
    description: 'Select rows with filters, projection, sorting, paging and optional post-processing.',
  })
  @Common()
  @StripNullsHeader
  @DeferHeader
  @ApiBody({ type: FetchRequestDto })
  @Cached()
  async fetch(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.gateway.fetch(call, body, 'gateway_fetch'));
  }

  @Post('gateway/data')
  @RequiresTableRight('read')
  @HttpCode(200)
  @ApiOperation({ summary: 'Fetch rows (alias of /gateway/fetch)' })
  @Common()
  @StripNullsHeader
  @ApiBody({ type: FetchRequestDto })
  @Cached()
  async data(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.gateway.fetch(call, body, 'gateway_data'));
  }

  @Get('data')
  @RequiresTableRight('read')
  @ApiOperation({
    summary: 'Fetch rows with query parameters',
    description: 'GET variant of fetch: `view` names the table; one `eq_column`/`eq_value` filter.',
  })
  @Common()
  @StripNullsHeader
  @ApiQuery({
    name: 'view',
    required: true,
    description: 'Table or view name',
    schema: { type: 'string', pattern: TABLE_PATTERN },
  })
  @ApiQuery({
    name: 'eq_column',
    required: false,
    description: 'With eq_value',
    schema: { type: 'string', pattern: IDENT_PATTERN },
  })
  @ApiQuery({ name: 'eq_value', required: false, description: 'With eq_column', schema: { type: 'string' } })
  @ApiQuery({
    name: 'columns',
    required: false,
    description: 'Comma-separated projection (`*` = all)',
    schema: {
      type: 'string',
      pattern: '^ *([A-Za-z_][A-Za-z0-9_]{0,62}|[*])? *( *, *([A-Za-z_][A-Za-z0-9_]{0,62}|[*])? *)*$',
    },
  })
  @ApiQuery({ name: 'limit', required: false, schema: { type: 'integer', minimum: 0, maximum: 2147483647 } })
  @ApiQuery({ name: 'offset', required: false, schema: { type: 'integer', minimum: 0, maximum: 2147483647 } })
  @ApiQuery({ name: 'current_page', required: false, schema: { type: 'integer', minimum: 1, maximum: 2147483647 } })
  @ApiQuery({ name: 'page_size', required: false, schema: { type: 'integer', minimum: 0, maximum: 2147483647 } })
  @ApiQuery({ name: 'strip_nulls', required: false, type: Boolean })
  @ApiQuery({
    name: 'page_state',
    required: false,
    description: 'ScyllaDB/Cassandra: next-page token from the previous answer',
    schema: { type: 'string', pattern: '^[0-9a-fA-F]{0,8192}$' },
  })
  @ApiQuery({ name: 'sort_by', required: false, schema: { type: 'string', pattern: IDENT_PATTERN } })
  @ApiQuery({ name: 'sort_direction', required: false, enum: ['asc', 'desc'] })
  @ApiQuery({ name: 'group_by', required: false, schema: { type: 'string', pattern: IDENT_PATTERN } })
  @ApiQuery({ name: 'time_granularity', required: false, enum: ['day', 'hour', 'minute'] })
  @ApiQuery({ name: 'aggregation_column', required: false, schema: { type: 'string', pattern: IDENT_PATTERN } })
  @ApiQuery({
    name: 'aggregation_strategy',
    required: false,
    enum: ['cumulative_sum'],
    description: 'Needs aggregation_column',
  })
  @ApiQuery({ name: 'aggregation_dedup', required: false, type: Boolean })
  @Cached()
  async getData(
    @Call() call: GatewayCall,
    @Query() query: Record<string, string | string[] | undefined>,
    @Res({ passthrough: true }) reply: HttpReply,
  ) {
    return respond(reply, await this.gateway.fetchByQuery(call, query));
  }

  @Put('gateway/insert')
  @RequiresTableRight('write')
  @ApiOperation({
    summary: 'Insert or upsert rows',
    description:
      'One object or an array (atomic). `update_body`/`on_conflict` turn it into an upsert. Returns the inserted rows.',
  })
  @Common()
  @ApiBody({ type: InsertRequestDto })
  @ApiOkResponse({ type: MutationEnvelopeDto })
  @ApiConflictResponse({ type: ErrorEnvelopeDto, description: 'Unique or foreign-key violation' })
  async insert(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.gateway.insert(call, body));
  }

  @Post('gateway/update')
  @RequiresTableRight('write')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Update rows',
    description:
      'Sets `update_body` on the rows matching `conditions` (at least one required). Returns the updated rows.',
  })
  @Common()
  @StripNullsHeader
  @ApiBody({ type: UpdateRequestDto })
  @ApiOkResponse({ type: RowsEnvelopeDto })
  async update(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.gateway.update(call, body));
  }

  @Delete('gateway/delete')
  @RequiresTableRight('delete')
  @ApiOperation({
    summary: 'Delete rows',
    description:
      'JSON body. Deletes by `resource_id` (column `id` unless `resource_id_column`) and/or `conditions`; one of them is required.',
  })
  @Common()
  @ApiBody({ type: DeleteRequestDto })
  @ApiOkResponse({ type: MutationEnvelopeDto })
  async delete(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.gateway.delete(call, body));
  }

  @Post('gateway/query')
  @RequiresRight(RAW_QUERY_RIGHT, 'service')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Run one raw SQL statement',
    description: 'Executes one statement on the client and returns its rows (`count` = rows returned or affected).',
  })
  @Common()
  @DeferHeader
  @ApiBody({ type: QueryRequestDto })
  @ApiOkResponse({ type: RowsEnvelopeDto })
  async query(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.gateway.query(call, body));
  }
}
