import { defineErrors } from '@athena/common';

/** The sql library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const SqlErrors = defineErrors('sql', {
  invalidQueryPayload: {
    code: 'invalid_query_payload',
    status: 400,
    meaning: 'The body is not {"query": "<one statement>"} or the statement is too long',
  },
  invalidDriver: { code: 'invalid_driver', status: 400, meaning: 'driver is not one of postgresql, athena, supabase' },
  driverBackendMismatch: {
    code: 'driver_backend_mismatch',
    status: 400,
    meaning: 'The driver does not match the client’s backend',
  },
});
