import { CLIENT_NAME_SCHEMA } from '@athena/common';
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
import { ApiKeysAdminService } from './api-keys-admin.service';
import {
  ApiKeyCreatedEnvelope,
  ApiKeyListEnvelope,
  ApiKeyRecordEnvelope,
  ApiKeyClientEnvelope,
  ApiKeyClientListEnvelope,
  ClientNameEnvelope,
  ConfigEnvelope,
  CreateApiKeyDto,
  CreateRightDto,
  EnforcementDto,
  IdEnvelope,
  ListApiKeysQueryDto,
  RightEnvelope,
  RightListEnvelope,
  UpdateApiKeyDto,
  UpdateRightDto,
} from './dto/api-keys.dto';

const IdParam = ApiParam({
  name: 'id',
  format: 'uuid',
  description: 'The `id` (api_keys_id / api_key_rights_id) returned on creation',
});

@AdminController('Admin: API keys')
@Controller('admin/api-keys')
export class ApiKeysController {
  constructor(private readonly svc: ApiKeysAdminService) {}

  @Get()
  @ApiOperation({
    summary: 'List API keys',
    description: 'Live (not archived) keys with their rights; never the secret, salt or hash.',
  })
  @ApiOkResponse({ type: ApiKeyListEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'Bad limit/offset' })
  list(@Query() q: ListApiKeysQueryDto) {
    return this.svc.listKeys(q.limit, q.offset);
  }

  @Post()
  @ApiOperation({
    summary: 'Create an API key',
    description: 'Returns the plaintext `api_key` (`ath_{public_id}.{secret}`) once; only a salted SHA-256 is stored.',
  })
  @ApiBody({ type: CreateApiKeyDto })
  @ApiCreatedResponse({ type: ApiKeyCreatedEnvelope })
  @ApiBadRequestResponse({
    type: AdminErrorDto,
    description: 'Missing name, bad field, expires_at in the past, unknown or malformed rights',
  })
  @ApiConflictResponse({ type: AdminErrorDto, description: 'A live key with this name already exists' })
  create(@Body() dto: CreateApiKeyDto) {
    return this.svc.createKey(dto);
  }

  @Patch(':id')
  @ApiOperation({
    summary: 'Update an API key',
    description:
      'All fields optional; `rights` replaces the grant set; nullable fields are cleared with null. Takes effect at once on every instance.',
  })
  @IdParam
  @ApiBody({ type: UpdateApiKeyDto })
  @ApiOkResponse({ type: ApiKeyRecordEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'API key not found' })
  @ApiConflictResponse({ type: AdminErrorDto, description: 'Name already used by another live key' })
  update(@Param('id') id: string, @Body() dto: UpdateApiKeyDto) {
    return this.svc.updateKey(id, dto);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Revoke (archive) an API key',
    description: 'The key stops authenticating at once ("Invalid API key"); the row is kept for the auth log.',
  })
  @IdParam
  @ApiOkResponse({ type: IdEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'id is not a UUID' })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'API key not found' })
  remove(@Param('id') id: string) {
    return this.svc.archiveKey(id);
  }
}

@AdminController('Admin: API keys')
@Controller('admin/api-key-rights')
export class ApiKeyRightsController {
  constructor(private readonly svc: ApiKeysAdminService) {}

  @Get()
  @ApiOperation({ summary: 'List rights' })
  @ApiOkResponse({ type: RightListEnvelope })
  list() {
    return this.svc.listRights();
  }

  @Post()
  @ApiOperation({
    summary: 'Create a right',
    description:
      'Rights must exist before they can be granted. Syntax: `users.read`, `users.*`, `*.read`, `gateway.read|write|delete|query`, `*`.',
  })
  @ApiBody({ type: CreateRightDto })
  @ApiCreatedResponse({ type: RightEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'Missing or malformed name' })
  @ApiConflictResponse({ type: AdminErrorDto, description: 'Duplicate right name' })
  create(@Body() dto: CreateRightDto) {
    return this.svc.createRight(dto);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Rename or describe a right' })
  @IdParam
  @ApiBody({ type: UpdateRightDto })
  @ApiOkResponse({ type: RightEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Right not found' })
  @ApiConflictResponse({ type: AdminErrorDto, description: 'Duplicate right name' })
  update(@Param('id') id: string, @Body() dto: UpdateRightDto) {
    return this.svc.updateRight(id, dto);
  }

  @Delete(':id')
  @ApiOperation({ summary: 'Delete a right', description: 'Also removes it from every key that held it.' })
  @IdParam
  @ApiOkResponse({ type: IdEnvelope })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Right not found' })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'id is not a UUID' })
  remove(@Param('id') id: string) {
    return this.svc.deleteRight(id);
  }
}

@AdminController('Admin: API keys')
@Controller('admin')
export class ApiKeyConfigController {
  constructor(private readonly svc: ApiKeysAdminService) {}

  @Get('api-key-config')
  @ApiOperation({
    summary: 'Enforcement config',
    description: 'The global `enforce_api_keys` flag and every per-client override.',
  })
  @ApiOkResponse({ type: ConfigEnvelope })
  get() {
    return this.svc.getConfig();
  }

  @Put('api-key-config')
  @ApiOperation({
    summary: 'Turn global enforcement on or off',
    description: 'Applies on every instance within a second (cached ~2 s, invalidated on change).',
  })
  @ApiBody({ type: EnforcementDto })
  @ApiOkResponse({ type: ConfigEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'enforce_api_keys missing or not a boolean' })
  put(@Body() dto: EnforcementDto) {
    return this.svc.setGlobal(dto.enforce_api_keys);
  }

  @Get('api-key-clients')
  @ApiOperation({ summary: 'Per-client enforcement overrides' })
  @ApiOkResponse({ type: ApiKeyClientListEnvelope })
  clients() {
    return this.svc.listClients();
  }

  @Put('api-key-clients/:client_name')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Set a per-client override',
    description: 'Upsert; the override wins over the global flag for this X-Athena-Client.',
  })
  @ApiParam({ name: 'client_name', schema: { ...CLIENT_NAME_SCHEMA, example: 'reporting' } })
  @ApiBody({ type: EnforcementDto })
  @ApiOkResponse({ type: ApiKeyClientEnvelope })
  @ApiBadRequestResponse({ type: AdminErrorDto })
  putClient(@Param('client_name') clientName: string, @Body() dto: EnforcementDto) {
    return this.svc.upsertClient(clientName, dto.enforce_api_keys);
  }

  @Delete('api-key-clients/:client_name')
  @ApiOperation({ summary: 'Remove a per-client override' })
  @ApiParam({ name: 'client_name', schema: { ...CLIENT_NAME_SCHEMA, example: 'reporting' } })
  @ApiOkResponse({ type: ClientNameEnvelope })
  @ApiNotFoundResponse({ type: AdminErrorDto, description: 'Client config not found' })
  @ApiBadRequestResponse({ type: AdminErrorDto, description: 'Malformed client_name' })
  deleteClient(@Param('client_name') clientName: string) {
    return this.svc.deleteClient(clientName);
  }
}
