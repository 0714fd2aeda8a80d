import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiExtraModels,
  ApiForbiddenResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
  getSchemaPath,
} from '@nestjs/swagger';
import { RequiresRight } from '@athena/auth';
import type { GatewayCall } from '@athena/common';
import { CLIENT_NAME_SCHEMA } from '@athena/common';
import { Call, HttpReply, respond } from '@athena/http';
import { SqlEnvelopeDto, SqlRequestDto } from './dto/sql.dto';
import { SQL_ROUTE_RIGHT, SqlService } from './sql.service';

export { SQL_ROUTE_RIGHT };

@ApiTags('SQL')
@ApiExtraModels(SqlEnvelopeDto)
@Controller()
export class SqlController {
  constructor(private readonly sql: SqlService) {}

  @Post('query/sql')
  @HttpCode(200)
  @RequiresRight(SQL_ROUTE_RIGHT, 'service')
  @ApiOperation({
    summary: 'Run one raw SQL/CQL statement',
    description:
      'Requires the `gateway.query` right. `driver: postgresql` (alias `postgres`) runs SQL on the PostgreSQL client named by `X-Athena-Client` (or `db_name`, or a direct connection); `athena` runs CQL on a ScyllaDB/Cassandra client and answers a bare array; `supabase` answers 422 (PostgREST has no raw SQL). Read-only clients run the statement in a READ ONLY transaction. Timeout: `gateway.sql.statement_timeout_ms`.',
  })
  @ApiHeader({
    name: 'X-Athena-Client',
    required: false,
    schema: CLIENT_NAME_SCHEMA,
    description: 'Client to run on (else `db_name`)',
  })
  @ApiHeader({
    name: 'x-pg-uri',
    required: false,
    description:
      'Direct PostgreSQL connection (only when gateway.direct_connections is enabled; X-JDBC-URL also accepted)',
  })
  @ApiBody({ type: SqlRequestDto })
  @ApiOkResponse({
    description: 'postgresql: the envelope with `db_name` and `duration` (ms); athena: a bare JSON array of rows',
    schema: { oneOf: [{ $ref: getSchemaPath(SqlEnvelopeDto) }, { type: 'array', items: { type: 'object' } }] },
  })
  @ApiBadRequestResponse({
    description:
      'Invalid payload, unknown driver (`invalid_driver`), driver/client mismatch, or a statement the database rejected',
  })
  @ApiNotFoundResponse({ description: 'No client by that name (`invalid_client`; X-Athena-Client or db_name)' })
  @ApiUnauthorizedResponse({ description: 'Enforcement on: API key required / invalid / inactive / expired' })
  @ApiForbiddenResponse({
    description: 'Read-only client (`read_only`), direct connection not allowed, or missing right',
  })
  @ApiUnprocessableEntityResponse({ description: '`unsupported_by_backend` (supabase)' })
  @ApiServiceUnavailableResponse({ description: 'Backend unreachable (`backend_unavailable`, Retry-After set)' })
  async run(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    return respond(reply, await this.sql.execute(call, body));
  }
}
