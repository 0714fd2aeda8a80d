import { defineErrors } from '@athena/common';

/** The gateway library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const GatewayErrors = defineErrors('gateway', {
  invalidQueryPayload: {
    code: 'invalid_query_payload',
    status: 400,
    meaning: 'The body is not {"query": "<one statement>"} or the statement is too long',
  },
});
