import { Controller, Get, HttpCode, Param, Post, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { RequiresRight } from '@athena/auth';
import type { GatewayCall } from '@athena/common';
import { CLIENT_NAME_SCHEMA } from '@athena/common';
import { Call, HttpReply, respond } from '@athena/http';
import { DeferredStatusDto } from './dto/deferred.dto';
import { DeferredService } from './deferred.service';

/**
 * Authentication as on the gateway routes (no extra right): what a caller may see is decided by ownership in
 * DeferredService (same API key; without enforcement, same client; the admin key sees all).
 */
export const DEFERRED_OWNER_POLICY = 'gateway.deferred';

const Id = ApiParam({
  name: 'request_id',
  description: 'The id answered with the 202 (`data.request_id`)',
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
});
const Client = ApiHeader({
  name: 'X-Athena-Client',
  required: false,
  schema: CLIENT_NAME_SCHEMA,
  description: 'Without API key enforcement, jobs are visible to callers naming the same client',
});

@ApiTags('Deferred queue')
@Controller('gateway/deferred')
export class DeferredController {
  constructor(private readonly deferred: DeferredService) {}

  @Get(':request_id')
  @RequiresRight(DEFERRED_OWNER_POLICY, 'service')
  @ApiOperation({
    summary: 'Status of a deferred request',
    description:
      'Status, timestamps, attempts and, once finished, the envelope the synchronous call would have returned.',
  })
  @Id
  @Client
  @ApiOkResponse({ type: DeferredStatusDto })
  @ApiBadRequestResponse({ description: '`invalid_request_id`' })
  @ApiUnauthorizedResponse({ description: 'Enforcement on: API key required / invalid' })
  @ApiNotFoundResponse({ description: '`deferred_request_not_found` (unknown, or not visible to this caller)' })
  @ApiServiceUnavailableResponse({ description: '`deferred_queue_unavailable` (Retry-After set)' })
  async status(
    @Call() call: GatewayCall,
    @Param('request_id') id: string,
    @Res({ passthrough: true }) reply: HttpReply,
  ) {
    return respond(reply, await this.deferred.status(call, id));
  }

  @Post(':request_id/requeue')
  @RequiresRight(DEFERRED_OWNER_POLICY, 'service')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Requeue a finished deferred request',
    description: 'completed or failed → queued (attempts kept; result and error cleared). 409 while queued or running.',
  })
  @Id
  @Client
  @ApiOkResponse({ type: DeferredStatusDto })
  @ApiBadRequestResponse({ description: '`invalid_request_id`' })
  @ApiUnauthorizedResponse({ description: 'Enforcement on: API key required / invalid' })
  @ApiNotFoundResponse({ description: '`deferred_request_not_found`' })
  @ApiConflictResponse({ description: '`deferred_request_not_requeueable` (queued or running)' })
  @ApiServiceUnavailableResponse({ description: '`deferred_queue_unavailable` (Retry-After set)' })
  async requeue(
    @Call() call: GatewayCall,
    @Param('request_id') id: string,
    @Res({ passthrough: true }) reply: HttpReply,
  ) {
    return respond(reply, await this.deferred.requeue(call, id));
  }
}
