import { ApiProperty, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { ApiSchemaExtras } from '@athena/common';

/*
 * OpenAPI shapes of the gateway payloads. The routes parse bodies with the query library (which accepts
 * every compatible spelling the SDKs send and reports precise errors), so these classes document the wire
 * contract for Swagger and are not used for runtime validation.
 */

/** The identifier grammar of libs/query (IDENT_RE): column names, group_by, sort field, … */
export const IDENT_PATTERN = '^[A-Za-z_][A-Za-z0-9_]{0,62}$';
/** `table` or `schema.table`, each part an identifier (surrounding whitespace is trimmed). */
export const TABLE_PATTERN = '^\\s*([A-Za-z_][A-Za-z0-9_]{0,62}[.])?[A-Za-z_][A-Za-z0-9_]{0,62}\\s*$';
const COLUMN = { type: 'string', pattern: IDENT_PATTERN } as const;
/** An identifier, or empty (= not set). */
const OPTIONAL_IDENT_PATTERN = '^([A-Za-z_][A-Za-z0-9_]{0,62})?$';
const TABLE_INNER = '([A-Za-z_][A-Za-z0-9_]{0,62}[.])?[A-Za-z_][A-Za-z0-9_]{0,62}';
/** Target: a non-blank table_name, else a non-blank view_name (each trimmed). */
const TARGET = {
  anyOf: [
    { required: ['table_name'], properties: { table_name: { type: 'string', pattern: `^\\s*${TABLE_INNER}\\s*$` } } },
    {
      required: ['view_name'],
      properties: {
        view_name: { type: 'string', pattern: `^\\s*${TABLE_INNER}\\s*$` },
        table_name: { type: 'string', nullable: true, pattern: '^\\s*$' },
      },
    },
  ],
};
/** Post-processing settings are checked only when group_by is set. */
const POST_PROCESSING = {
  anyOf: [
    { not: { required: ['group_by'] } },
    { properties: { group_by: { type: 'string', maxLength: 0, nullable: true } } },
    {
      properties: {
        // The values, in any case and with surrounding whitespace.
        time_granularity: {
          type: 'string',
          nullable: true,
          anyOf: [
            { enum: ['day', 'hour', 'minute'] },
            { pattern: '^\\s*([Dd][Aa][Yy]|[Hh][Oo][Uu][Rr]|[Mm][Ii][Nn][Uu][Tt][Ee])?\\s*$' },
          ],
        },
        aggregation_column: { type: 'string', pattern: OPTIONAL_IDENT_PATTERN, nullable: true },
        aggregation_strategy: {
          type: 'string',
          nullable: true,
          anyOf: [
            { enum: ['cumulative_sum'] },
            { pattern: '^\\s*([Cc][Uu][Mm][Uu][Ll][Aa][Tt][Ii][Vv][Ee]_[Ss][Uu][Mm])?\\s*$' },
          ],
        },
      },
      // aggregation_strategy needs aggregation_column.
      anyOf: [
        { not: { required: ['aggregation_strategy'] } },
        { properties: { aggregation_strategy: { type: 'string', pattern: '^\\s*$', nullable: true } } },
        {
          required: ['aggregation_column'],
          properties: { aggregation_column: { type: 'string', pattern: IDENT_PATTERN } },
        },
      ],
    },
  ],
};
const SCALAR = [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] as const;
/** `columns`-like fields: an array of column names, or one comma-separated string (`*` = all; empties dropped). */
const COLUMN_LIST = {
  oneOf: [
    { type: 'array', items: { type: 'string', pattern: '^\\s*([A-Za-z_][A-Za-z0-9_]{0,62}|[*])?\\s*$' } },
    {
      type: 'string',
      pattern: '^\\s*([A-Za-z_][A-Za-z0-9_]{0,62}|[*])?\\s*(,\\s*([A-Za-z_][A-Za-z0-9_]{0,62}|[*])?\\s*)*$',
    },
  ],
  nullable: true,
} as const;
/** Flags the parser reads as booleans: true/false, 0/1, or true|1|yes|on / false|0|no|off|"" in any case. */
const BOOLISH = {
  oneOf: [
    { type: 'boolean' },
    { type: 'integer', enum: [0, 1] },
    {
      type: 'string',
      pattern: '^\\s*([Tt][Rr][Uu][Ee]|1|[Yy][Ee][Ss]|[Oo][Nn]|[Ff][Aa][Ll][Ss][Ee]|0|[Nn][Oo]|[Oo][Ff][Ff])?\\s*$',
    },
  ],
  nullable: true,
} as const;

/** Summary of the operator shape; the request schemas use the per-operator variants below. */
export class OperatorConditionDto {
  @ApiProperty({ example: 'status', pattern: IDENT_PATTERN }) column: string;
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

export class EqConditionDto {
  @ApiProperty({ ...COLUMN, example: 'status' }) column: string;
  @ApiProperty({ enum: ['eq', 'neq'], example: 'eq' }) operator: string;
  @ApiProperty({ oneOf: [...SCALAR], nullable: true, example: 'open', description: 'null means IS (NOT) NULL' })
  value: unknown;
}

export class CompareConditionDto {
  @ApiProperty({ ...COLUMN, example: 'amount' }) column: string;
  @ApiProperty({ enum: ['gt', 'gte', 'lt', 'lte'], example: 'gt' }) operator: string;
  @ApiProperty({ oneOf: [...SCALAR], example: 10 }) value: unknown;
}

export class PatternConditionDto {
  @ApiProperty({ ...COLUMN, example: 'status' }) column: string;
  @ApiProperty({ enum: ['like', 'ilike'], example: 'like' }) operator: string;
  @ApiProperty({ type: 'string', example: 'op%', description: 'SQL LIKE pattern (`%`, `_`, `\\` escapes)' })
  value: string;
}

export class IsConditionDto {
  @ApiProperty({ ...COLUMN, example: 'status' }) column: string;
  @ApiProperty({ enum: ['is'], example: 'is' }) operator: string;
  @ApiProperty({ type: 'boolean', nullable: true, example: null, description: 'null, true or false' })
  value: boolean | null;
}

export class InConditionDto {
  @ApiProperty({ ...COLUMN, example: 'id' }) column: string;
  @ApiProperty({ enum: ['in'], example: 'in' }) operator: string;
  @ApiProperty({
    type: 'array',
    maxItems: 1000,
    items: { oneOf: [...SCALAR], nullable: true },
    example: [1, 2, 3],
  })
  value: unknown[];
}

export class ContainsConditionDto {
  @ApiProperty({ ...COLUMN }) column: string;
  @ApiProperty({ enum: ['contains', 'containedBy'] }) operator: string;
  @ApiProperty({
    oneOf: [
      { type: 'array', items: {} },
      { type: 'object', additionalProperties: true },
    ],
    description: 'JSON array or object (array/jsonb columns)',
  })
  value: unknown;
}

/** The operator shape is chosen whenever `operator` is present. */
const NO_OPERATOR = {
  anyOf: [
    { not: { required: ['operator'] } },
    { properties: { operator: { type: 'string', nullable: true, enum: [null] } } },
  ],
};

@ApiSchemaExtras(NO_OPERATOR)
export class LegacyConditionDto {
  @ApiProperty({ ...COLUMN, example: 'status', description: 'athena_rs 2.x equality shape' }) eq_column: string;
  @ApiProperty({
    oneOf: [...SCALAR],
    nullable: true,
    example: 'open',
    description: 'A scalar; null means IS NULL',
  })
  eq_value: unknown;
}

export class SortDto {
  @ApiPropertyOptional({
    type: 'string',
    pattern: OPTIONAL_IDENT_PATTERN,
    nullable: true,
    example: 'created_at',
    description: 'Column (also accepted as `column`); absent or empty = no sort',
  })
  field?: string;
  @ApiPropertyOptional({
    type: 'string',
    pattern: '^\\s*([Aa][Ss][Cc]([Ee][Nn][Dd][Ii][Nn][Gg])?|[Dd][Ee][Ss][Cc]([Ee][Nn][Dd][Ii][Nn][Gg])?)\\s*$',
    nullable: true,
    example: 'desc',
    description: 'asc, ascending, desc or descending, any case; absent → ascending',
  })
  direction?: string;
}

/** The legacy equality shape spelled with `column`/`value` (no operator). */
@ApiSchemaExtras(NO_OPERATOR)
export class ColumnValueConditionDto {
  @ApiProperty({ ...COLUMN, description: 'Equality without an operator' }) column: string;
  @ApiProperty({ oneOf: [...SCALAR], nullable: true, description: 'A scalar; null means IS NULL' }) value: unknown;
}

/** Condition variants: what `conditions` items may be (an empty object is ignored). */
export const CONDITION_MODELS = [
  EqConditionDto,
  CompareConditionDto,
  PatternConditionDto,
  IsConditionDto,
  InConditionDto,
  ContainsConditionDto,
  LegacyConditionDto,
  ColumnValueConditionDto,
];

/** Update: at least one real condition (an empty object would be ignored, leaving none). */
const updateConditionsSchema = {
  type: 'array',
  nullable: false,
  minItems: 1,
  maxItems: 100,
  items: { oneOf: CONDITION_MODELS.map((m) => ({ $ref: getSchemaPath(m) })) },
  description: 'ANDed filters, in either shape (1-100); full-table updates are refused',
};

const conditionsSchema = {
  type: 'array',
  nullable: true,
  maxItems: 100,
  items: {
    oneOf: [
      ...CONDITION_MODELS.map((m) => ({ $ref: getSchemaPath(m) })),
      { type: 'object', maxProperties: 0, description: 'An empty object is ignored' },
    ],
  },
  description: 'ANDed filters, in either shape (at most 100)',
};

export class PostProcessingFieldsDto {
  @ApiPropertyOptional({
    type: 'string',
    pattern: OPTIONAL_IDENT_PATTERN,
    nullable: true,
    description: 'Enables post-processing: group rows by this column (empty = off)',
    example: 'created_at',
  })
  group_by?: string;
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    example: 'day',
    description: 'With group_by: day, hour or minute (any case); ignored without group_by',
  })
  time_granularity?: string;
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    example: 'amount',
    description: 'With group_by: a column; ignored without group_by',
  })
  aggregation_column?: string;
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    example: 'cumulative_sum',
    description: 'With group_by: cumulative_sum (needs aggregation_column); ignored without group_by',
  })
  aggregation_strategy?: string;
  @ApiPropertyOptional({ ...BOOLISH, default: false } as never) aggregation_dedup?: boolean;
}

const INT32 = { type: 'integer', minimum: 0, maximum: 2147483647, nullable: true } as const;

@ApiSchemaExtras({ allOf: [TARGET, POST_PROCESSING] })
export class FetchRequestDto extends PostProcessingFieldsDto {
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    pattern: `^\\s*(${TABLE_INNER})?\\s*$`,
    example: 'orders',
    description: 'Table, optionally schema-qualified (`public.orders`). Either this or `view_name`.',
  })
  table_name?: string;
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    description: 'A view to read instead of a table (used when table_name is absent or blank)',
  })
  view_name?: string;
  @ApiPropertyOptional({
    ...COLUMN_LIST,
    example: ['id', 'status'],
    description: 'Projection: array or comma-separated string; `*` or absent = all',
  } as never)
  columns?: string[] | string;
  @ApiPropertyOptional(conditionsSchema as never) conditions?: unknown[];
  @ApiPropertyOptional({
    ...INT32,
    description: 'Max rows; capped by gateway.max_rows (then `truncated: true`)',
    example: 50,
  })
  limit?: number;
  @ApiPropertyOptional({ ...INT32 }) offset?: number;
  @ApiPropertyOptional({
    ...INT32,
    minimum: 1,
    description: '1-based page (with page_size; (current_page - 1) × page_size must not exceed 2147483647)',
  })
  current_page?: number;
  @ApiPropertyOptional({ ...INT32 }) page_size?: number;
  @ApiPropertyOptional({
    ...BOOLISH,
    description: 'Drop null-valued fields from rows (wins over X-Strip-Nulls)',
  } as never)
  strip_nulls?: boolean;
  @ApiPropertyOptional({ type: SortDto, nullable: true, description: 'Also accepted as `sortBy`' }) sort_by?: SortDto;
  @ApiPropertyOptional({
    type: 'string',
    nullable: true,
    pattern: '^[0-9a-fA-F]{0,8192}$',
    description:
      'ScyllaDB/Cassandra: the `page_state` of the previous page (opaque hex token); `limit` is the page size',
    example: '0012000a0008000000000000002af0f07ffffffe',
  })
  page_state?: string;
}

/** A row (insert, upsert, update): column → value; the keys are column names (identifier grammar). */
const ROW = { type: 'object', additionalProperties: true } as const;
const NON_EMPTY_ROW = { ...ROW, minProperties: 1 } as const;

/** A pipeline's source step: a fetch payload whose target may come from the template, plus an optional client. */
@ApiSchemaExtras({ allOf: [POST_PROCESSING] })
export class PipelineSourceDto extends FetchRequestDto {
  // null here would replace the template's target (inline keys win), leaving none: not null.
  @ApiPropertyOptional({ type: 'string', nullable: false, pattern: TABLE_PATTERN, example: 'items' })
  declare table_name?: string;
  @ApiPropertyOptional({ type: 'string', nullable: false, pattern: TABLE_PATTERN })
  declare view_name?: string;
  @ApiPropertyOptional({
    type: 'string',
    pattern: '^[A-Za-z_][A-Za-z0-9_-]{0,62}$',
    nullable: true,
    description: 'Client to read from (default: X-Athena-Client)',
  })
  client?: string;
}

export class InsertRequestDto {
  @ApiProperty({ type: 'string', pattern: TABLE_PATTERN, example: 'orders' }) table_name: string;
  @ApiProperty({
    oneOf: [ROW, { type: 'array', minItems: 1, maxItems: 1000, items: ROW }],
    example: { status: 'open', amount: 12.5 },
    description: 'One row, or an array of 1-1000 rows (atomic: all or none)',
  } as never)
  insert_body: Record<string, unknown> | Record<string, unknown>[];
  @ApiPropertyOptional({
    ...NON_EMPTY_ROW,
    nullable: true,
    description: 'Upsert: columns to set when the row conflicts',
  } as never)
  update_body?: Record<string, unknown>;
  @ApiPropertyOptional({
    oneOf: [
      {
        type: 'string',
        pattern: '^\\s*([A-Za-z_][A-Za-z0-9_]{0,62})?\\s*(,\\s*([A-Za-z_][A-Za-z0-9_]{0,62})?\\s*)*$',
      },
      { type: 'array', items: { type: 'string', pattern: '^\\s*([A-Za-z_][A-Za-z0-9_]{0,62})?\\s*$' } },
    ],
    nullable: true,
    description: 'Conflict target (default: primary key): column names, array or comma-separated',
  })
  on_conflict?: string | string[];
  @ApiPropertyOptional({ ...COLUMN_LIST, description: 'RETURNING projection (default `*`)' } as never)
  columns?: string[] | string;
  @ApiPropertyOptional({
    ...BOOLISH,
    description: 'ScyllaDB/Cassandra: `INSERT … IF NOT EXISTS` (409 `conflict` when the key exists)',
  } as never)
  if_not_exists?: boolean;
}

@ApiSchemaExtras({ required: ['update_body', 'conditions'], allOf: [TARGET, POST_PROCESSING] })
export class UpdateRequestDto extends FetchRequestDto {
  @ApiProperty({ ...NON_EMPTY_ROW, example: { status: 'closed' } } as never) update_body: Record<string, unknown>;
  @ApiProperty(updateConditionsSchema as never) declare conditions: unknown[];
}

@ApiSchemaExtras({
  anyOf: [
    {
      required: ['resource_id'],
      properties: { resource_id: { oneOf: [{ type: 'string', pattern: '\\S' }, { type: 'number' }] } },
    },
    {
      required: ['conditions'],
      properties: { conditions: { type: 'array', minItems: 1, items: { minProperties: 1 } } },
    },
  ],
})
export class DeleteRequestDto {
  @ApiProperty({ type: 'string', pattern: TABLE_PATTERN, example: 'orders' }) table_name: string;
  @ApiPropertyOptional({
    oneOf: [{ type: 'string', pattern: '\\S' }, { type: 'number' }],
    nullable: true,
    example: '42',
    description: 'Value of the resource-id column',
  })
  resource_id?: string | number;
  @ApiPropertyOptional({
    type: 'string',
    pattern: OPTIONAL_IDENT_PATTERN,
    nullable: true,
    default: 'id',
    description: 'Column of resource_id (absent or empty = id)',
  })
  resource_id_column?: string;
  @ApiPropertyOptional(conditionsSchema as never) conditions?: unknown[];
  @ApiPropertyOptional({ ...COLUMN_LIST, description: 'RETURNING projection (default `*`)' } as never)
  columns?: string[] | string;
}

/**
 * One statement: not blank once whitespace and one trailing `;` are dropped. At most 100000 characters once trimmed
 * (said in words: a maxLength would count the surrounding whitespace the server drops).
 */
export const SQL_TEXT = { type: 'string', not: { pattern: '^\\s*;?\\s*$' } } as const;

export class QueryRequestDto {
  @ApiProperty({
    ...SQL_TEXT,
    example: 'SELECT id, status FROM orders WHERE amount > 10',
    description: 'One SQL statement (a trailing `;` is dropped), at most 100000 characters',
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
