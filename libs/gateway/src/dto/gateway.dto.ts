import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';

/*
 * OpenAPI shapes of the gateway payloads. The routes parse bodies with the query library (which accepts
 * every compatible spelling the SDKs send and reports precise errors), so these classes document the wire
 * contract for Swagger and are not used for runtime validation.
 */

export class OperatorConditionDto {
  @ApiProperty({ example: 'status' }) column: string;
  @ApiProperty({
    enum: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'is', 'in', 'contains', 'containedBy'],
    example: 'eq',
  })
  operator: string;
  @ApiPropertyOptional({
    description:
      'Scalar; array for `in`/`contains`/`containedBy`; null/true/false for `is`. null with eq/neq means IS (NOT) NULL.',
    example: 'open',
  })
  value?: unknown;
}

export class LegacyConditionDto {
  @ApiProperty({ example: 'status', description: 'athena_rs 2.x equality shape' }) eq_column: string;
  @ApiProperty({
    oneOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }],
    nullable: true,
    example: 'open',
    description: 'A scalar; null means IS NULL',
  })
  eq_value: unknown;
}

export class SortDto {
  @ApiProperty({ example: 'created_at', description: 'Column (also accepted as `column`)' }) field: string;
  @ApiPropertyOptional({
    example: 'desc',
    description: '`asc`/`ascending` → ascending; any other value → descending; absent → ascending',
  })
  direction?: string;
}

const conditionsSchema = {
  type: 'array',
  items: { oneOf: [{ $ref: getSchemaPath(OperatorConditionDto) }, { $ref: getSchemaPath(LegacyConditionDto) }] },
  description: 'ANDed filters, in either shape',
};

export class PostProcessingFieldsDto {
  @ApiPropertyOptional({ description: 'Enables post-processing: group rows by this column', example: 'created_at' })
  group_by?: string;
  @ApiPropertyOptional({ enum: ['day', 'hour', 'minute'] }) time_granularity?: string;
  @ApiPropertyOptional({ example: 'amount' }) aggregation_column?: string;
  @ApiPropertyOptional({ enum: ['cumulative_sum'] }) aggregation_strategy?: string;
  @ApiPropertyOptional({ default: false }) aggregation_dedup?: boolean;
}

export class FetchRequestDto extends PostProcessingFieldsDto {
  @ApiPropertyOptional({
    example: 'orders',
    description: 'Table, optionally schema-qualified (`public.orders`). Either this or `view_name`.',
  })
  table_name?: string;
  @ApiPropertyOptional({ description: 'A view to read instead of a table' }) view_name?: string;
  @ApiPropertyOptional({
    oneOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }],
    example: ['id', 'status'],
    description: 'Projection: array or comma-separated string; `*` or absent = all',
  })
  columns?: string[] | string;
  @ApiPropertyOptional(conditionsSchema as never) conditions?: unknown[];
  @ApiPropertyOptional({
    minimum: 0,
    description: 'Max rows; capped by gateway.max_rows (then `truncated: true`)',
    example: 50,
  })
  limit?: number;
  @ApiPropertyOptional({ minimum: 0 }) offset?: number;
  @ApiPropertyOptional({ minimum: 1, description: '1-based page (with page_size)' }) current_page?: number;
  @ApiPropertyOptional({ minimum: 1 }) page_size?: number;
  @ApiPropertyOptional({ description: 'Drop null-valued fields from rows (wins over X-Strip-Nulls)' })
  strip_nulls?: boolean;
  @ApiPropertyOptional({ type: SortDto, description: 'Also accepted as `sortBy`' }) sort_by?: SortDto;
  @ApiPropertyOptional({
    description:
      'ScyllaDB/Cassandra: the `page_state` of the previous page (opaque hex token); `limit` is the page size',
    example: '0012000a0008000000000000002af0f07ffffffe',
  })
  page_state?: string;
}

export class InsertRequestDto {
  @ApiProperty({ example: 'orders', minLength: 1 }) table_name: string;
  @ApiProperty({
    oneOf: [
      { type: 'object', additionalProperties: true },
      { type: 'array', items: { type: 'object', additionalProperties: true } },
    ],
    example: { status: 'open', amount: 12.5 },
    description: 'One row, or an array of rows (atomic: all or none)',
  })
  insert_body: Record<string, unknown> | Record<string, unknown>[];
  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'Upsert: columns to set when the row conflicts',
  })
  update_body?: Record<string, unknown>;
  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }],
    description: 'Conflict target (default: primary key)',
  })
  on_conflict?: string | string[];
  @ApiPropertyOptional({ description: 'RETURNING projection (default `*`)' }) columns?: string[] | string;
  @ApiPropertyOptional({
    description: 'ScyllaDB/Cassandra: `INSERT … IF NOT EXISTS` (409 `conflict` when the key exists)',
  })
  if_not_exists?: boolean;
}

export class UpdateRequestDto extends FetchRequestDto {
  @ApiProperty({ type: 'object', additionalProperties: true, example: { status: 'closed' } }) update_body: Record<
    string,
    unknown
  >;
}

export class DeleteRequestDto {
  @ApiProperty({ example: 'orders', minLength: 1 }) table_name: string;
  @ApiPropertyOptional({
    oneOf: [{ type: 'string' }, { type: 'number' }],
    example: '42',
    description: 'Value of the resource-id column',
  })
  resource_id?: string | number;
  @ApiPropertyOptional({ default: 'id' }) resource_id_column?: string;
  @ApiPropertyOptional(conditionsSchema as never) conditions?: unknown[];
  @ApiPropertyOptional({ description: 'RETURNING projection (default `*`)' }) columns?: string[] | string;
}

export class QueryRequestDto {
  @ApiProperty({
    example: 'SELECT id, status FROM orders WHERE amount > 10',
    description: 'One SQL statement (a trailing `;` is dropped)',
  })
  query: string;
}

export class GroupedBucketDto {
  @ApiProperty() label: string;
  @ApiProperty({ type: 'array', items: { type: 'object', additionalProperties: true } }) rows: unknown[];
  @ApiPropertyOptional({
    nullable: true,
    type: 'object',
    additionalProperties: true,
    example: { column: 'amount', strategy: 'cumulative_sum', dedup: false, bucket_value: 3, value: 7 },
  })
  aggregation: unknown;
}

export class PostProcessingResultDto {
  @ApiProperty({ type: [GroupedBucketDto] }) grouped: GroupedBucketDto[];
}

export class RowsEnvelopeDto {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty({ example: 'Fetched 2 rows' }) message: string;
  @ApiProperty({
    type: 'array',
    items: { type: 'object', additionalProperties: true },
    example: [{ id: 1, status: 'open' }],
  })
  data: unknown[];
  @ApiProperty({ example: 2 }) count: number;
  @ApiPropertyOptional({ description: 'Present (true) when gateway.max_rows cut the answer short' })
  truncated?: boolean;
  @ApiPropertyOptional({
    type: String,
    nullable: true,
    description:
      'ScyllaDB/Cassandra clients only: token for the next page (send it back as `page_state`); null on the last page',
  })
  page_state?: string | null;
  @ApiPropertyOptional({ type: PostProcessingResultDto }) post_processing?: PostProcessingResultDto;
  @ApiPropertyOptional({
    description: 'Fetch routes: the response-cache key of this answer (`<table>:<first eq column>:<value>:<hash>`)',
    example: 'items:id:42:7c9b53f4f1f0b902',
  })
  cache_key?: string;
}

export class MutationEnvelopeDto {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty({ example: 'Inserted 1 row' }) message: string;
  @ApiProperty({
    description: 'The affected rows (RETURNING); one object for a single-object insert',
    oneOf: [
      { type: 'object', additionalProperties: true },
      { type: 'array', items: { type: 'object', additionalProperties: true } },
    ],
  })
  data: unknown;
  @ApiProperty({ example: 1 }) count: number;
}

export class ErrorEnvelopeDto {
  @ApiProperty({ example: 'error' }) status: string;
  @ApiProperty({ example: 'invalid_fetch_condition' }) code: string;
  @ApiProperty({ example: 'Invalid condition' }) message: string;
  @ApiProperty({ example: 'Unsupported operator "between"; use one of eq, neq, …' }) error: string;
  @ApiPropertyOptional({ description: 'On 5xx: the request id to quote' }) request_id?: string;
}

/** 202 of a deferred call (`X-Athena-Defer: true`, or admission deferring an over-budget call); see libs/deferred. */
export class DeferredAcceptedDataDto {
  @ApiProperty({ example: '3f0c5a52-8f0e-4d5e-9f59-2b7d3c1f6a10' }) request_id: string;
  @ApiProperty({ example: 'queued' }) status: string;
  @ApiProperty({ example: true }) deferred: boolean;
  @ApiProperty({ example: '/gateway/deferred/3f0c5a52-8f0e-4d5e-9f59-2b7d3c1f6a10' }) status_url: string;
}

export class DeferredAcceptedDto {
  @ApiProperty({ example: 'success' }) status: string;
  @ApiProperty({ example: 'Request deferred' }) message: string;
  @ApiProperty({ type: DeferredAcceptedDataDto }) data: DeferredAcceptedDataDto;
}
