import { defineErrors } from '@athena/common';

/** The admission library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const AdmissionErrors = defineErrors('admission', {
  admissionRejected: {
    code: 'admission_rejected',
    status: 429,
    meaning:
      'The global or per-client request budget of this window is used up; retry after Retry-After (`data.scope` says which)',
  },
});
