/**
 * The one error type every layer throws. The global exception filter turns it into the Athena envelope
 * `{ status: "error", code, message, error }` with `status` as the HTTP status and `headers` added
 * (e.g. `Retry-After` on 503/429). Pure: no framework imports, so pure libraries (query, config) use it too.
 */
export class AthenaError extends Error {
  constructor(
    /** HTTP status to answer with. */
    readonly status: number,
    /** Stable machine code, snake_case (e.g. `invalid_fetch_condition`). */
    readonly code: string,
    /** Short human summary (the envelope's `message`). */
    message: string,
    /** Detail that says what to fix (the envelope's `error`); defaults to `message`. */
    readonly detail: string = message,
    /** Extra response headers. */
    readonly headers: Record<string, string> = {},
    /** Extra JSON fields merged into the envelope (e.g. `available_columns`). */
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'AthenaError';
  }

  static badRequest(code: string, message: string, detail?: string, extra?: Record<string, unknown>): AthenaError {
    return new AthenaError(400, code, message, detail ?? message, {}, extra ?? {});
  }

  static notFound(code: string, message: string, detail?: string, extra?: Record<string, unknown>): AthenaError {
    return new AthenaError(404, code, message, detail ?? message, {}, extra ?? {});
  }

  static unavailable(code: string, message: string, retryAfterSeconds = 5, detail?: string): AthenaError {
    return new AthenaError(503, code, message, detail ?? message, { 'Retry-After': String(retryAfterSeconds) });
  }
}
