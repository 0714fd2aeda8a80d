import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiForbiddenResponse,
  ApiInternalServerErrorResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiSecurity,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { AdminOnly } from '@athena/auth';
import { HttpErrors } from '@athena/http';

import { BackupsService } from './backups.service';
import { downloadName } from './backup-keys';
import {
  BackupAcceptedEnvelope,
  BackupCreatedEnvelope,
  BackupErrorDto,
  BackupJobEnvelope,
  BackupJobListEnvelope,
  BackupKeyEnvelope,
  BackupListEnvelope,
  CreateBackupDto,
  ListBackupsQueryDto,
  ListJobsQueryDto,
  RestoreBackupDto,
  RestoreDoneEnvelope,
} from './dto/backups.dto';
import { BackupsErrors } from './errors';

const KeyParam = ApiParam({
  name: 'key',
  // Default prefix "backups"; segments start with a letter or digit (no empty, "." or ".." segment).
  // The example carries "/": Schemathesis then sends the slashes percent-encoded, as callers must.
  schema: {
    type: 'string',
    pattern: '^backups/[A-Za-z0-9_][A-Za-z0-9_-]{0,62}/[A-Za-z0-9_][A-Za-z0-9_.:-]{0,100}$',
    maxLength: 1024,
    example: 'backups/reporting/20261205T230102.345Z-nightly.dump',
  },
  description: 'The object key, URL-encoded ("/" as %2F), e.g. backups%2Freporting%2F20261205T230102.345Z-nightly.dump',
});
const IdParam = ApiParam({
  name: 'id',
  description: 'job_id (a positive integer)',
  schema: { type: 'string', pattern: '^[1-9][0-9]{0,15}$', example: '42' },
});
const S3_503 =
  'S3 not configured (backup_storage_not_configured, names the missing setting) or unreachable / refusing credentials; Retry-After set';

function jobId(raw: string): number {
  if (!/^[1-9]\d{0,15}$/.test(raw))
    throw BackupsErrors.invalidJobId('Invalid job id', `"${raw.slice(0, 32)}" is not a job_id (a positive integer)`);
  return Number(raw);
}

/** `/admin/backups*`: S3 backups and restores of PostgreSQL clients as jobs (static admin key). */
@ApiTags('Admin: backups')
@ApiSecurity('adminKey')
@ApiUnauthorizedResponse({ type: BackupErrorDto, description: 'Missing or wrong admin key (invalid_admin_key)' })
@ApiServiceUnavailableResponse({ type: BackupErrorDto, description: S3_503 })
@AdminOnly()
@Controller('admin/backups')
export class BackupsController {
  constructor(private readonly svc: BackupsService) {}

  @Post()
  @ApiOperation({
    summary: 'Back up a PostgreSQL client to S3',
    description:
      '`pg_dump -Fc` streamed into a multipart upload. 200 with `{key, client_name, label}` when the job ends within `backup.wait_ms`; otherwise 202 with the job (poll `/admin/backups/jobs/{id}`). One job per client at a time: a second one gets 409.',
  })
  @ApiBody({ type: CreateBackupDto })
  @ApiOkResponse({ type: BackupCreatedEnvelope })
  @ApiAcceptedResponse({ type: BackupAcceptedEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto, description: 'Missing or malformed client_name / label' })
  @ApiNotFoundResponse({ type: BackupErrorDto, description: 'Unknown client (client_not_found)' })
  @ApiForbiddenResponse({
    type: BackupErrorDto,
    description: 'The client is frozen or inactive (client_frozen, client_inactive)',
  })
  @ApiConflictResponse({
    type: BackupErrorDto,
    description:
      'The client already has a live job (backup_job_in_progress) or no connection URI (backup_client_unconfigured)',
  })
  @ApiUnprocessableEntityResponse({
    type: BackupErrorDto,
    description: 'Not a PostgreSQL client (unsupported_by_backend)',
  })
  @ApiInternalServerErrorResponse({
    type: BackupErrorDto,
    description:
      'pg_dump failed or is older than the server (pg_dump_failed, pg_tool_too_old); no object is left behind',
  })
  async create(@Body() dto: CreateBackupDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const r = await this.svc.createBackup(dto.client_name, dto.label);
    reply.status(r.status);
    return r.body;
  }

  @Get()
  @ApiOperation({
    summary: 'List backup objects',
    description: 'Objects under the prefix (newest first, at most 1000) with their metadata.',
  })
  @ApiOkResponse({ type: BackupListEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto })
  list(@Query() q: ListBackupsQueryDto) {
    return this.svc.listBackups(q.client_name);
  }

  @Get('jobs')
  @ApiOperation({ summary: 'List backup and restore jobs', description: 'Newest first; `before` pages by job_id.' })
  @ApiOkResponse({ type: BackupJobListEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto })
  jobs(@Query() q: ListJobsQueryDto) {
    return this.svc.listJobs({
      limit: q.limit ?? 50,
      before: q.before,
      client_name: q.client_name,
      status: q.status,
      kind: q.kind,
    });
  }

  @Get('jobs/:id')
  @ApiOperation({
    summary: 'A job with its progress',
    description: 'Status, bytes so far, average rate, duration, error excerpt, instance.',
  })
  @IdParam
  @ApiOkResponse({ type: BackupJobEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto, description: 'invalid_job_id' })
  @ApiNotFoundResponse({ type: BackupErrorDto, description: 'backup_job_not_found' })
  job(@Param('id') id: string) {
    return this.svc.getJob(jobId(id));
  }

  @Post('jobs/:id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a pending or running job',
    description:
      'Kills pg_dump/pg_restore and aborts the multipart upload: no object, and a restore rolls back. A job on another instance stops within a few seconds.',
  })
  @IdParam
  @ApiOkResponse({ type: BackupJobEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto, description: 'invalid_job_id' })
  @ApiNotFoundResponse({ type: BackupErrorDto, description: 'backup_job_not_found' })
  @ApiConflictResponse({ type: BackupErrorDto, description: 'The job already finished (job_not_cancellable)' })
  cancel(@Param('id') id: string) {
    return this.svc.cancelJob(jobId(id));
  }

  @Get(':key/download')
  @ApiOperation({
    summary: 'Download a backup object',
    description: 'Streamed from S3 (pg_dump custom format), with Content-Disposition: attachment.',
  })
  @KeyParam
  @ApiOkResponse({
    description: 'The dump bytes',
    content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } },
  })
  @ApiBadRequestResponse({ type: BackupErrorDto, description: 'invalid_backup_key' })
  @ApiNotFoundResponse({ type: BackupErrorDto, description: 'backup_not_found' })
  async download(@Param('key') key: string, @Res() reply: FastifyReply) {
    const o = await this.svc.download(key);
    reply
      .header('content-type', 'application/octet-stream')
      .header('content-disposition', `attachment; filename="${downloadName(o.key)}"`)
      .header('content-length', String(o.size))
      .header('cache-control', 'no-store')
      .send(o.body);
  }

  @Delete(':key')
  @ApiOperation({ summary: 'Delete a backup object' })
  @KeyParam
  @ApiOkResponse({ type: BackupKeyEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto, description: 'invalid_backup_key' })
  @ApiNotFoundResponse({ type: BackupErrorDto, description: 'backup_not_found' })
  remove(@Param('key') key: string) {
    // `/admin/backups/jobs` is the job list, not a key the router should hand to DELETE :key.
    if (key === 'jobs')
      throw HttpErrors.methodNotAllowed('Method not allowed', 'DELETE is not served on this path; use GET', undefined, {
        Allow: 'GET',
      });
    return this.svc.deleteBackup(key);
  }

  @Post(':key/restore')
  @ApiOperation({
    summary: 'Restore a backup into a PostgreSQL client',
    description:
      'Streamed into `pg_restore --single-transaction --exit-on-error --clean --if-exists --no-owner`: all or nothing. The target may be the source client or another one (clone). 200 when done within `backup.wait_ms`, else 202 with the job.',
  })
  @KeyParam
  @ApiBody({ type: RestoreBackupDto })
  @ApiOkResponse({ type: RestoreDoneEnvelope })
  @ApiAcceptedResponse({ type: BackupAcceptedEnvelope })
  @ApiBadRequestResponse({ type: BackupErrorDto, description: 'invalid_backup_key, missing client_name' })
  @ApiNotFoundResponse({ type: BackupErrorDto, description: 'backup_not_found, client_not_found' })
  @ApiForbiddenResponse({
    type: BackupErrorDto,
    description: 'The target is frozen or inactive (client_frozen, client_inactive)',
  })
  @ApiConflictResponse({
    type: BackupErrorDto,
    description:
      'Read-only target (client_read_only), a live job on it (backup_job_in_progress), or no connection URI (backup_client_unconfigured)',
  })
  @ApiUnprocessableEntityResponse({
    type: BackupErrorDto,
    description: 'Not a PostgreSQL client (unsupported_by_backend)',
  })
  @ApiInternalServerErrorResponse({
    type: BackupErrorDto,
    description:
      'pg_restore failed or the object failed verification (pg_restore_failed, backup_integrity_failed); the target is unchanged',
  })
  async restore(
    @Param('key') key: string,
    @Body() dto: RestoreBackupDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const r = await this.svc.createRestore(key, dto.client_name);
    reply.status(r.status);
    return r.body;
  }
}
