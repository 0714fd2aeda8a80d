import { defineErrors } from '@athena/common';

/** The query library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const QueryErrors = defineErrors('query', {
  unknownColumn: {
    code: 'unknown_column',
    status: 400,
    meaning: 'A column does not exist on the table (the answer lists the available ones)',
  },
  unsupportedByBackend: {
    code: 'unsupported_by_backend',
    status: 422,
    meaning: 'The client’s backend cannot serve this request (e.g. a CQL filter needing a full scan)',
  },
  invalidValue: { code: 'invalid_value', status: 400, meaning: 'A value does not fit its column type' },
  invalidConditionValue: {
    code: 'invalid_condition_value',
    status: 400,
    meaning: 'A condition’s value does not fit its operator (e.g. "in" needs a list)',
  },
  invalidFetchCondition: {
    code: 'invalid_fetch_condition',
    status: 400,
    meaning: 'A condition is malformed, uses an unknown operator, or contradicts another',
  },
  missingPrimaryKey: {
    code: 'missing_primary_key',
    status: 400,
    meaning: 'An insert lacks a primary-key column the backend requires',
  },
  invalidUpdatePayload: {
    code: 'invalid_update_payload',
    status: 400,
    meaning: 'update_body is missing, empty or not an object',
  },
  invalidDeletePayload: {
    code: 'invalid_delete_payload',
    status: 400,
    meaning: 'A delete needs resource_id or at least one condition',
  },
  invalidIdentifier: {
    code: 'invalid_identifier',
    status: 400,
    meaning: 'A table, schema or column name does not match [A-Za-z_][A-Za-z0-9_]{0,62}',
  },
  invalidRequest: {
    code: 'invalid_request',
    status: 400,
    meaning: 'A field of the payload has the wrong type or a required field is missing',
  },
  invalidSort: {
    code: 'invalid_sort',
    status: 400,
    meaning: 'sort_by is not {field, direction} with a column name and asc/desc',
  },
  invalidLimit: { code: 'invalid_limit', status: 400, meaning: 'limit/offset/page fields are not integers in range' },
  invalidPostProcessingConfiguration: {
    code: 'invalid_post_processing_configuration',
    status: 400,
    meaning: 'group_by / time_granularity / aggregation settings are inconsistent',
  },
  invalidPageState: {
    code: 'invalid_page_state',
    status: 400,
    meaning: 'page_state is not a token a previous fetch returned',
  },
  invalidInsertPayload: {
    code: 'invalid_insert_payload',
    status: 400,
    meaning: 'insert_body is missing, empty, or rows are not objects',
  },
  invalidDeleteResourceIdColumn: {
    code: 'invalid_delete_resource_id_column',
    status: 400,
    meaning: 'resource_id_column is not a string',
  },
  insertTooLarge: {
    code: 'insert_too_large',
    status: 400,
    meaning: 'An insert binds more values than one statement may hold; split it',
  },
  emptyQuery: { code: 'empty_query', status: 400, meaning: 'The statement is empty' },
  invalidQueryPayload: {
    code: 'invalid_query_payload',
    status: 400,
    meaning: 'The body is not {"query": "<one statement>"} or the statement is too long',
  },
  invalidLikePattern: {
    code: 'invalid_like_pattern',
    status: 400,
    meaning: 'A LIKE/ILIKE pattern ends with an unescaped backslash',
  },
});
