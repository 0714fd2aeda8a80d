import { AthenaError } from './athena-error';

/** One entry of a library's error catalogue: the wire code, the HTTP status, and what it means for a caller. */
export interface ErrorSpec {
  /** Stable snake_case code (the envelope's `code`). */
  code: string;
  status: number;
  /** What it means and what to do about it (listed in the OpenAPI description). */
  meaning: string;
  /** 429/503: the `Retry-After` seconds sent unless the throw site gives its own headers. */
  retryAfter?: number;
}

/** Builds the error of one catalogue entry: `message` (summary), `detail` (what to fix), extra fields, headers. */
export type ErrorRaiser = (
  message: string,
  detail?: string,
  extra?: Record<string, unknown>,
  headers?: Record<string, string>,
) => AthenaError;

export interface CatalogueEntry extends ErrorSpec {
  library: string;
}

const registry: CatalogueEntry[] = [];

/**
 * Declares a library's error catalogue (code → status → meaning) and returns one raiser per entry, so throw
 * sites name an entry instead of repeating a code and a status. Every catalogue is listed by `errorCatalogue()`
 * (the OpenAPI description's error table).
 */
export function defineErrors<T extends Record<string, ErrorSpec>>(
  library: string,
  specs: T,
): { readonly [K in keyof T]: ErrorRaiser } {
  const out = {} as Record<string, ErrorRaiser>;
  for (const [name, spec] of Object.entries(specs)) {
    registry.push({ library, ...spec });
    const fixed: Record<string, string> =
      spec.retryAfter !== undefined ? { 'Retry-After': String(spec.retryAfter) } : {};
    out[name] = (message, detail, extra, headers) =>
      new AthenaError(spec.status, spec.code, message, detail ?? message, headers ?? fixed, extra ?? {});
  }
  return Object.freeze(out) as { readonly [K in keyof T]: ErrorRaiser };
}

/** Every catalogue entry declared so far, ordered by status, code and library. */
export function errorCatalogue(): readonly CatalogueEntry[] {
  return [...registry].sort(
    (a, b) => a.status - b.status || a.code.localeCompare(b.code) || a.library.localeCompare(b.library),
  );
}
