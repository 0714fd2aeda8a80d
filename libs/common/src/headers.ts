/** A header (or query-string) value as Node/Fastify hand it over: absent, once, or repeated. */
export type HeaderValue = string | string[] | undefined;

export interface FirstValueOptions {
  /** Trim surrounding whitespace (before the length cap). */
  trim?: boolean;
  /** Cut the value to at most this many characters. */
  maxLength?: number;
}

/** The first value of a possibly repeated header or query parameter, optionally trimmed and capped. */
export function firstValue(v: HeaderValue, opts?: FirstValueOptions): string | undefined {
  let s = Array.isArray(v) ? v[0] : v;
  if (s === undefined || opts === undefined) return s;
  if (opts.trim) s = s.trim();
  if (opts.maxLength !== undefined && s.length > opts.maxLength) s = s.slice(0, opts.maxLength);
  return s;
}

/** `firstValue` of the header `name` (lower-case, as Node stores header names). */
export function firstHeader(
  headers: Readonly<Record<string, HeaderValue>>,
  name: string,
  opts?: FirstValueOptions,
): string | undefined {
  return firstValue(headers[name], opts);
}
