/** Success envelope of every enveloped route: `{ status: "success", message, data, ...extra }`. */
export interface SuccessEnvelope<T = unknown> {
  status: 'success';
  message: string;
  data: T;
  [extra: string]: unknown;
}

export function ok<T>(message: string, data: T, extra?: Record<string, unknown>): SuccessEnvelope<T> {
  return extra === undefined ? { status: 'success', message, data } : { status: 'success', message, data, ...extra };
}

/** Error envelope: `{ status: "error", code, message, error }` (+ `request_id` on 5xx, + context fields). */
export interface ErrorEnvelope {
  status: 'error';
  code: string;
  message: string;
  error: string;
  request_id?: string;
  [extra: string]: unknown;
}
