import { defineErrors } from './error-catalogue';

/** The common library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const CommonErrors = defineErrors('common', {
  invalidClient: {
    code: 'invalid_client',
    status: 400,
    meaning: 'The client name is malformed (400) or no client has this name (404)',
  },
  invalidClientName: {
    code: 'invalid_client_name',
    status: 400,
    meaning: 'A client name in the payload or path does not follow the client-name rule',
  },
});
