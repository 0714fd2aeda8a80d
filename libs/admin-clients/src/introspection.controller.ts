import { Body, Controller, Get, HttpCode, Post } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { AdminController, AdminErrorDto } from '@athena/auth';
import { AdminClientsService } from './admin-clients.service';
import { ClientNamesEnvelope, ProvisionDto, ProvisionEnvelope, RegistryRowDto } from './dto/admin-clients.dto';
import { ProvisionService } from './provision.service';

@AdminController('Admin: clients')
@Controller()
export class ClientsIntrospectionController {
  constructor(private readonly svc: AdminClientsService) {}

  @Get('clients')
  @ApiOperation({
    summary: 'Registered client names',
    description: 'Config and catalog clients (frozen and inactive included).',
  })
  @ApiOkResponse({ type: ClientNamesEnvelope })
  clients() {
    return this.svc.names();
  }

  @Get('schema/clients')
  @ApiOperation({ summary: 'Registered client names (alias of GET /clients)' })
  @ApiOkResponse({ type: ClientNamesEnvelope })
  schemaClients() {
    return this.svc.names();
  }

  @Get('router/registry')
  @ApiOperation({
    summary: 'Live routing table of this instance',
    description:
      'Bare JSON array: one row per registered client with backend, source, active/frozen state, routability (with the reason when not routable) and pool status. Admin key required (it reveals the topology).',
  })
  @ApiOkResponse({ type: [RegistryRowDto] })
  registry() {
    return this.svc.registry();
  }
}

@AdminController('Admin: clients')
@Controller('admin/provision')
export class ProvisionController {
  constructor(private readonly svc: ProvisionService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Provision the control-plane schema on a database',
    description:
      'Runs the bundled idempotent sql/provision.sql statement by statement (running it twice changes nothing).',
  })
  @ApiBody({
    type: ProvisionDto,
    examples: {
      uri: {
        value: {
          uri: 'postgres://postgres:secret@db.internal:5432/athena_logging',
          register: true,
          register_name: 'logging_replica',
        },
      },
      client: { value: { client_name: 'reporting' } },
    },
  })
  @ApiOkResponse({ type: ProvisionEnvelope })
  @ApiBadRequestResponse({
    type: AdminErrorDto,
    description: 'Both or neither of uri/client_name (invalid_provision_target); bad URI',
  })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Unknown client_name' })
  @ApiConflictResponse({
    type: AdminErrorDto,
    description:
      'register_name already used (duplicate_client), or client_name has no connection URI (provision_client_unconfigured)',
  })
  @ApiServiceUnavailableResponse({
    type: AdminErrorDto,
    description: 'The target database cannot be reached (provision_target_unavailable; Retry-After set)',
  })
  provision(@Body() dto: ProvisionDto) {
    return this.svc.provision(dto);
  }
}
