import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

export { DeferredAcceptedDataDto, DeferredAcceptedDto } from '@athena/gateway';

export class DeferredStatusDataDto {
  @ApiProperty() request_id: string;
  @ApiPropertyOptional({ nullable: true, example: 'reporting' }) client_name: string | null;
  @ApiProperty({ enum: ['fetch', 'query', 'insert', 'update', 'delete'] }) operation: string;
  @ApiProperty({ example: '/gateway/query' }) route: string;
  @ApiProperty({ enum: ['queued', 'running', 'completed', 'failed'] }) status: string;
  @ApiProperty({ description: 'Claims by a worker so far' }) attempts: number;
  @ApiPropertyOptional({
    nullable: true,
    description: '`requeued`, `lease_expired`, `retry_after_error`, `released_on_shutdown`, `worker_lost`, `error`',
  })
  reason: string | null;
  @ApiProperty({ format: 'date-time' }) created_at: string;
  @ApiProperty({ format: 'date-time' }) updated_at: string;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) started_at: string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) completed_at: string | null;
  @ApiProperty({ description: 'The stored result was cut to gateway.deferred_query_result_max_bytes' })
  truncated: boolean;
  @ApiPropertyOptional({ nullable: true, description: 'HTTP status the synchronous call would have answered' })
  result_status: number | null;
  @ApiPropertyOptional({
    nullable: true,
    description: 'Completed/failed: the envelope the synchronous call would have returned',
    type: 'object',
    additionalProperties: true,
  })
  result: unknown;
  @ApiPropertyOptional({ nullable: true, example: null }) error: string | null;
}

export class DeferredStatusDto {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty({ example: 'Deferred request status loaded' }) message: string;
  @ApiProperty({ type: DeferredStatusDataDto }) data: DeferredStatusDataDto;
}
