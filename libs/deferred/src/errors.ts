import { defineErrors } from '@athena/common';

/** The deferred library's error codes: code → HTTP status → meaning (listed in the OpenAPI description). */
export const DeferredErrors = defineErrors('deferred', {
  deferredQueryNotSupported: {
    code: 'deferred_query_not_supported',
    status: 400,
    meaning:
      'This request cannot be deferred (route, direct connection or custom Supabase target); send it without X-Athena-Defer',
  },
  deferredQueueUnavailable: {
    code: 'deferred_queue_unavailable',
    status: 503,
    meaning:
      'The deferred queue storage (control plane) cannot be reached; nothing was queued; retry after Retry-After',
  },
  missingClientHeader: {
    code: 'missing_client_header',
    status: 400,
    meaning: 'X-Athena-Client is missing; name the client (database) to run on',
  },
  invalidRequestId: { code: 'invalid_request_id', status: 400, meaning: 'A deferred request id is not a UUID' },
  deferredRequestNotFound: {
    code: 'deferred_request_not_found',
    status: 404,
    meaning: 'No deferred request with this id is visible to the caller',
  },
  deferredRequestNotRequeueable: {
    code: 'deferred_request_not_requeueable',
    status: 409,
    meaning: 'Only completed or failed requests can be requeued; this one is queued or running',
  },
});
