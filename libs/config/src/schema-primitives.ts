/**
 * Building blocks of the config schema (leaves, lists, sections) and the messages they report. Kept apart from
 * `schema.ts` so that `scylla-config.ts` can use them without importing the schema that imports it.
 */
import { z } from 'zod';
import { CLIENT_NAME_RE, isValidClientName } from '@athena/common';

export const EXPECT_CLIENT_NAME = `client name matching ${CLIENT_NAME_RE.source}`;
export const EXPECT_PG_URI = 'URI starting with postgres:// or postgresql://';
export const EXPECT_REDIS_URL = 'URI starting with redis:// or rediss://';

/** Defaults that are not constants (they depend on the user's data directory). */
export interface SchemaContext {
  /** `athenaDataDir(...)`: logging.directory defaults to `<dataDir>/logs`, embedded.data_dir to `<dataDir>/embedded-pg`. */
  dataDir: string;
  /** Path joiner for that data dir (posix or win32). */
  join: (...parts: string[]) => string;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false };
export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const FAIL = { ok: false } as const;

export function isBlank(v: unknown): boolean {
  return v === undefined || v === null || (typeof v === 'string' && v.trim() === '');
}

/** A leaf: blank → default; otherwise `parse` decides, failing with `expected` as the issue message. */
export function leaf<T>(expected: string, dflt: () => T, parse: (v: unknown) => Parsed<T>) {
  return z.unknown().transform((v, ctx): T => {
    if (isBlank(v)) return dflt();
    const r = parse(v);
    if (!r.ok) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: expected });
      return z.NEVER;
    }
    return r.value;
  });
}

export function toNumber(v: unknown): number | undefined {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\s*[+-]?\d+(\.\d+)?\s*$/.test(v)) return Number(v);
  return undefined;
}

export function int(min: number, max: number, dflt: number) {
  return leaf(
    `integer ${min}..${max}`,
    () => dflt,
    (v) => {
      const n = toNumber(v);
      return n !== undefined && Number.isInteger(n) && n >= min && n <= max ? ok(n) : FAIL;
    },
  );
}

const TRUE = new Set(['true', 'yes', 'on', '1']);
const FALSE = new Set(['false', 'no', 'off', '0']);
export function bool(dflt: boolean) {
  return leaf(
    'boolean (true or false)',
    () => dflt,
    (v) => {
      if (typeof v === 'boolean') return ok(v);
      if (v === 1 || v === 0) return ok(v === 1);
      if (typeof v === 'string') {
        const s = v.trim().toLowerCase();
        if (TRUE.has(s)) return ok(true);
        if (FALSE.has(s)) return ok(false);
      }
      return FAIL;
    },
  );
}

export function oneOf<T extends string>(values: readonly T[], dflt: T) {
  return leaf(
    `one of ${values.join(', ')}`,
    () => dflt,
    (v) => {
      const s = typeof v === 'string' ? v.trim().toLowerCase() : undefined;
      const hit = values.find((x) => x === s);
      return hit !== undefined ? ok(hit) : FAIL;
    },
  );
}

function scalarString(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export function str(dflt: () => string, expected = 'non-empty string') {
  return leaf(expected, dflt, (v) => {
    const s = scalarString(v);
    return s !== undefined ? ok(s) : FAIL;
  });
}

export function nullableStr() {
  return leaf<string | null>(
    'string or empty',
    () => null,
    (v) => {
      const s = scalarString(v);
      return s !== undefined ? ok(s) : FAIL;
    },
  );
}

/** `inner`, except that a blank value parses to `undefined` (the consumer applies the default). */
export function optional<T>(inner: z.ZodType<T, z.ZodTypeDef, unknown>) {
  return z.unknown().transform((v, ctx): T | undefined => {
    if (isBlank(v)) return undefined;
    const r = inner.safeParse(v);
    if (!r.success) {
      for (const i of r.error.issues) ctx.addIssue({ code: z.ZodIssueCode.custom, message: i.message, path: i.path });
      return z.NEVER;
    }
    return r.data;
  });
}

export function clientNameOrNull() {
  return leaf<string | null>(
    `${EXPECT_CLIENT_NAME} or empty`,
    () => null,
    (v) => (typeof v === 'string' && isValidClientName(v.trim()) ? ok(v.trim()) : FAIL),
  );
}

/** `jdbc:postgresql://…` → `postgresql://…`; returns undefined unless the scheme is postgres:// or postgresql://. */
export function normalizePgUri(uri: string): string | undefined {
  let s = uri.trim();
  if (/^jdbc:postgresql:\/\//i.test(s)) s = s.slice('jdbc:'.length);
  return /^postgres(ql)?:\/\/\S+$/i.test(s) ? s : undefined;
}

export function pgUriOrNull() {
  return leaf<string | null>(
    `${EXPECT_PG_URI} or empty`,
    () => null,
    (v) => {
      const n = typeof v === 'string' ? normalizePgUri(v) : undefined;
      return n !== undefined ? ok(n) : FAIL;
    },
  );
}

export function redisUrlOrNull() {
  return leaf<string | null>(
    `${EXPECT_REDIS_URL} or empty`,
    () => null,
    (v) => (typeof v === 'string' && /^rediss?:\/\/./i.test(v.trim()) ? ok(v.trim()) : FAIL),
  );
}

/** A list of strings (YAML list, or a comma-separated string); each element checked by `element`. */
export function strList(dflt: () => string[], element: { expected: string; test: (s: string) => boolean }) {
  return z.unknown().transform((v, ctx): string[] => {
    if (isBlank(v)) return dflt();
    let items: unknown[];
    if (typeof v === 'string')
      items = v
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
    else if (Array.isArray(v)) items = v;
    else {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `list of ${element.expected}s` });
      return z.NEVER;
    }
    const out: string[] = [];
    items.forEach((item, i) => {
      const s = typeof item === 'string' ? item.trim() : undefined;
      if (s === undefined || !element.test(s)) {
        ctx.addIssue({ code: z.ZodIssueCode.custom, message: element.expected, path: [i] });
      } else out.push(s);
    });
    return out;
  });
}

/**
 * A map section: `null`/missing → all defaults; unknown keys rejected (`strict`) or kept (`passthrough`).
 * The unrecognized-keys issue carries the allowed keys as its message.
 */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z.object(shape, { errorMap: mapTypeError }).strict({ message: Object.keys(shape).join(', ') }),
  );
}
export function looseSection<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z.object(shape, { errorMap: mapTypeError }).passthrough(),
  );
}
export const mapTypeError: z.ZodErrorMap = (issue, ctx) =>
  issue.code === z.ZodIssueCode.invalid_type ? { message: 'map of keys' } : { message: ctx.defaultError };

export const nonEmpty = { expected: 'non-empty string', test: (s: string) => s !== '' };
export const routePrefix = { expected: 'path starting with /', test: (s: string) => s.startsWith('/') };
