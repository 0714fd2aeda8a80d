import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Put, Query } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
} from '@nestjs/swagger';
import { AdminController, AdminErrorDto } from '@athena/auth';
import { AdminClientsService } from './admin-clients.service';
import { ClientStatisticsService } from './client-statistics.service';
import {
  ClientEnvelope,
  ClientListEnvelope,
  ClientStatisticsEnvelope,
  CreateClientDto,
  DrilldownEnvelope,
  DrilldownQueryDto,
  FreezeClientDto,
  StatisticsListEnvelope,
  UpdateClientDto,
} from './dto/admin-clients.dto';

const NameParam = ApiParam({ name: 'client_name', example: 'reporting', description: 'Case-insensitive' });

@AdminController('Admin: clients')
@Controller('admin/clients')
export class AdminClientsController {
  constructor(
    private readonly svc: AdminClientsService,
    private readonly stats: ClientStatisticsService,
  ) {}

  @Get()
  @ApiOperation({
    summary: 'List clients',
    description:
      "`clients`: the athena_clients rows (not deleted); `runtime`: this instance's routing registry. URIs are password-redacted.",
  })
  @ApiOkResponse({ type: ClientListEnvelope })
  list() {
    return this.svc.list();
  }

  @Post()
  @ApiOperation({
    summary: 'Register a PostgreSQL client',
    description:
      'Exactly one of `pg_uri` / `pg_uri_env_var`. Routable on every instance within a second; the pool opens on first use.',
  })
  @ApiBody({
    type: CreateClientDto,
    examples: {
      uri: {
        value: {
          client_name: 'reporting',
          description: 'Reporting replica',
          pg_uri: 'postgres://report:secret@db.internal:5432/reporting',
        },
      },
      env: { value: { client_name: 'analytics', pg_uri_env_var: 'ANALYTICS_PG_URI' } },
    },
  })
  @ApiCreatedResponse({ type: ClientEnvelope })
  @ApiBadRequestResponse({
    type: AdminErrorDto,
    description: 'Bad name, neither/both URI sources (invalid_uri_source), bad URI or scheme (invalid_pg_uri)',
  })
  @ApiConflictResponse({
    type: AdminErrorDto,
    description: 'A client with this name exists in config.yaml or the catalog (duplicate_client)',
  })
  create(@Body() dto: CreateClientDto) {
    return this.svc.create(dto);
  }

  @Get('statistics')
  @ApiOperation({
    summary: 'Statistics of every client',
    description: 'Kept current by the log writer (within ~250 ms of a request being logged).',
  })
  @ApiOkResponse({ type: StatisticsListEnvelope })
  statistics() {
    return this.stats.list();
  }

  @Post('statistics/refresh')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Rebuild the statistics from the logs',
    description:
      'Full recount of client_statistics and client_table_statistics from gateway_request_log / gateway_operation_log.',
  })
  @ApiOkResponse({ type: StatisticsListEnvelope })
  refresh() {
    return this.stats.refresh();
  }

  @Patch(':client_name')
  @ApiOperation({
    summary: 'Update a client',
    description:
      'All fields optional; the path names the client. A new connection drains the old pool; `is_active: false` takes the client off routing.',
  })
  @NameParam
  @ApiBody({
    type: UpdateClientDto,
    required: false,
    description: 'Optional: no body (or {}) changes nothing and answers the client',
    examples: {
      move: { value: { pg_uri: 'postgres://report:secret@db2.internal:5432/reporting' } },
      deactivate: { value: { is_active: false } },
    },
  })
  @ApiOkResponse({ type: ClientEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Athena client not found' })
  update(@Param('client_name') name: string, @Body() dto: UpdateClientDto) {
    return this.svc.update(name, dto);
  }

  @Put(':client_name/freeze')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Freeze or unfreeze a client',
    description:
      'Frozen: every request is refused with 403 client_frozen before any pool is touched, and the pool is drained.',
  })
  @NameParam
  @ApiBody({
    type: FreezeClientDto,
    examples: { freeze: { value: { is_frozen: true } }, unfreeze: { value: { is_frozen: false } } },
  })
  @ApiOkResponse({ type: ClientEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'is_frozen missing or not a boolean' })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Athena client not found' })
  freeze(@Param('client_name') name: string, @Body() dto: FreezeClientDto) {
    return this.svc.freeze(name, dto.is_frozen);
  }

  @Delete(':client_name')
  @ApiOperation({
    summary: 'Delete a client (soft)',
    description:
      'Sets deleted_at and removes it from routing (404 afterwards); POST the name again to recreate it. config.yaml clients cannot be deleted (409).',
  })
  @NameParam
  @ApiOkResponse({ type: ClientEnvelope })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Athena client not found' })
  @ApiConflictResponse({ type: AdminErrorDto, description: 'Declared in config.yaml (config_client)' })
  remove(@Param('client_name') name: string) {
    return this.svc.remove(name);
  }

  @Get(':client_name/statistics')
  @ApiOperation({ summary: 'Statistics of one client', description: 'Totals plus one row per (table, operation).' })
  @NameParam
  @ApiOkResponse({ type: ClientStatisticsEnvelope })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Client statistics not found' })
  clientStatistics(@Param('client_name') name: string) {
    return this.stats.forClient(name);
  }

  @Get(':client_name/statistics/drilldown')
  @ApiOperation({
    summary: 'Logged operations of one client on one table',
    description: 'Newest first; served by an index on (client_name, table_name, operation, created_at).',
  })
  @NameParam
  @ApiOkResponse({ type: DrilldownEnvelope })
  @ApiBadRequestResponse({
    type: AdminErrorDto,
    description: 'Missing table_name/operation, bad status, limit outside 1..500, negative offset',
  })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Unknown client' })
  drilldown(@Param('client_name') name: string, @Query() q: DrilldownQueryDto) {
    return this.stats.drilldown(name, q);
  }
}
