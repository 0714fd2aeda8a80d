/**
 * Response post-processing (`group_by`, `time_granularity`, `aggregation_*`): rows → labelled buckets in ascending
 * label order, with an optional decimal-exact sum per bucket and a running total across buckets.
 */

import type { PostProcessingSpec, Row, TimeGranularity } from './ast';
import { describeValue } from './identifiers';
import { QueryErrors } from './errors';

export interface PostProcessingAggregation {
  column: string;
  strategy: 'cumulative_sum' | null;
  dedup: boolean;
  /** This bucket's own sum. */
  bucket_value: number;
  /** Running total up to and including this bucket (cumulative_sum), else `bucket_value`. */
  value: number;
}

export interface PostProcessingBucket {
  label: string;
  rows: Row[];
  aggregation: PostProcessingAggregation | null;
}

export interface PostProcessingResult {
  grouped: PostProcessingBucket[];
}

/** Label used for a null or missing group value. */
export const NULL_LABEL = 'null';

// ---------------------------------------------------------------------------------------------------------------
// exact decimal arithmetic: value = m / 10^s

export interface DecimalValue {
  m: bigint;
  s: number;
}

const ZERO: DecimalValue = { m: 0n, s: 0 };
const MAX_DIGITS = 400;
const DECIMAL_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d{1,4}))?$/;
const POW10: bigint[] = [];
function pow10(n: number): bigint {
  if (n < 64) {
    let p = POW10[n];
    if (p === undefined) p = POW10[n] = 10n ** BigInt(n);
    return p;
  }
  return 10n ** BigInt(n);
}

/** Number, numeric string or bigint → DecimalValue; anything else (or absurd magnitudes) → null (skipped). */
export function parseDecimal(v: unknown): DecimalValue | null {
  let str: string;
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v)) return { m: BigInt(v), s: 0 };
    if (!Number.isFinite(v)) return null;
    str = String(v);
  } else if (typeof v === 'string') {
    str = v.trim();
  } else if (typeof v === 'bigint') {
    return { m: v, s: 0 };
  } else {
    return null;
  }
  const m = DECIMAL_RE.exec(str);
  if (m === null) return null;
  const intPart = m[2];
  const frac = m[3] ?? '';
  if (intPart === '' && frac === '') return null;
  let digits = intPart + frac;
  let scale = frac.length - (m[4] !== undefined ? Number(m[4]) : 0);
  if (scale < 0) {
    if (digits.length - scale > MAX_DIGITS) return null;
    digits += '0'.repeat(-scale);
    scale = 0;
  }
  if (digits.length > MAX_DIGITS || scale > MAX_DIGITS) return null;
  const mant = BigInt(digits);
  return { m: m[1] === '-' ? -mant : mant, s: scale };
}

function addDecimal(a: DecimalValue, b: DecimalValue): DecimalValue {
  if (a.s === b.s) return { m: a.m + b.m, s: a.s };
  if (a.s > b.s) return { m: a.m + b.m * pow10(a.s - b.s), s: a.s };
  return { m: a.m * pow10(b.s - a.s) + b.m, s: b.s };
}

/** Canonical form (no trailing fraction zeros) so 1, "1.0" and "1.00" are the same value for dedup. */
function decimalKey(d: DecimalValue): string {
  let { m, s } = d;
  while (s > 0 && m % 10n === 0n) {
    m /= 10n;
    s--;
  }
  return `${m}e${s}`;
}

export function decimalToNumber(d: DecimalValue): number {
  if (d.s === 0) return Number(d.m);
  const neg = d.m < 0n;
  let digits = (neg ? -d.m : d.m).toString();
  if (digits.length <= d.s) digits = '0'.repeat(d.s - digits.length + 1) + digits;
  const cut = digits.length - d.s;
  return Number(`${neg ? '-' : ''}${digits.slice(0, cut)}.${digits.slice(cut)}`);
}

// ---------------------------------------------------------------------------------------------------------------
// time buckets (UTC)

/** ISO / RFC 3339 with an optional zone, or naive `YYYY-MM-DD[ T]HH:MM[:SS[.f]]` / `YYYY-MM-DD` (taken as UTC). */
const TIMESTAMP_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?)?\s*(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(y: number, m: number): number {
  if (m === 2 && ((y % 4 === 0 && y % 100 !== 0) || y % 400 === 0)) return 29;
  return DAYS_IN_MONTH[m - 1];
}

/** Milliseconds since the epoch, or NaN when the value is not a timestamp we accept. */
function toEpochMs(v: unknown): number {
  if (v instanceof Date) return v.getTime();
  if (typeof v !== 'string') return NaN;
  const m = TIMESTAMP_RE.exec(v.trim());
  if (m === null) return NaN;
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = m[4] !== undefined ? Number(m[4]) : 0;
  const mi = m[5] !== undefined ? Number(m[5]) : 0;
  let s = m[6] !== undefined ? Number(m[6]) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || s > 60) return NaN;
  if (s === 60) s = 59; // leap second: stays in its minute
  let offsetMin = 0;
  if (m[8] !== undefined) {
    const oh = Number(m[9]);
    const om = m[10] !== undefined ? Number(m[10]) : 0;
    if (oh > 23 || om > 59) return NaN;
    offsetMin = (m[8] === '-' ? -1 : 1) * (oh * 60 + om);
  }
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime() - offsetMin * 60000;
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function formatBucket(ms: number, g: TimeGranularity): string {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const day = `${y >= 0 && y < 1000 ? String(y).padStart(4, '0') : y}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
  if (g === 'day') return day;
  const hour = `${day}T${pad2(d.getUTCHours())}`;
  return g === 'hour' ? `${hour}:00` : `${hour}:${pad2(d.getUTCMinutes())}`;
}

function labelFor(v: unknown, spec: PostProcessingSpec): string {
  if (v === null || v === undefined) return NULL_LABEL;
  const g = spec.timeGranularity;
  if (g !== null) {
    const ms = toEpochMs(v);
    if (Number.isNaN(ms)) {
      throw QueryErrors.invalidPostProcessingConfiguration(
        `Cannot parse ${describeValue(v instanceof Date ? 'Invalid Date' : v)} as a timestamp`,
        `group_by column "${spec.groupBy}" holds ${describeValue(v instanceof Date ? 'Invalid Date' : v)}, which is not a timestamp; time_granularity '${g}' needs ISO 8601 / RFC 3339 values (or naive "YYYY-MM-DD HH:MM:SS", taken as UTC)`,
      );
    }
    return formatBucket(ms, g);
  }
  switch (typeof v) {
    case 'string':
      return v;
    case 'number':
    case 'boolean':
    case 'bigint':
      return String(v);
    default:
      return v instanceof Date ? v.toISOString() : JSON.stringify(v);
  }
}

// ---------------------------------------------------------------------------------------------------------------

interface Bucket {
  rows: Row[];
  sum: DecimalValue;
  seen: Set<string> | null;
}

export function applyPostProcessing(rows: Row[], spec: PostProcessingSpec): PostProcessingResult {
  const aggColumn = spec.aggregationColumn;
  if (spec.aggregationStrategy !== null && aggColumn === null) {
    throw QueryErrors.invalidPostProcessingConfiguration('aggregation_strategy requires aggregation_column');
  }
  const groupBy = spec.groupBy;
  const dedup = spec.aggregationDedup;
  const buckets = new Map<string, Bucket>();
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    const label = labelFor(Object.hasOwn(row, groupBy) ? row[groupBy] : undefined, spec);
    let b = buckets.get(label);
    if (b === undefined) {
      b = { rows: [], sum: ZERO, seen: dedup ? new Set<string>() : null };
      buckets.set(label, b);
    }
    b.rows.push(row);
    if (aggColumn !== null && Object.hasOwn(row, aggColumn)) {
      const d = parseDecimal(row[aggColumn]);
      if (d === null) continue;
      if (b.seen !== null) {
        const key = decimalKey(d);
        if (b.seen.has(key)) continue;
        b.seen.add(key);
      }
      b.sum = addDecimal(b.sum, d);
    }
  }

  const labels = Array.from(buckets.keys()).sort();
  const grouped = new Array<PostProcessingBucket>(labels.length);
  let running = ZERO;
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i];
    const b = buckets.get(label)!;
    let aggregation: PostProcessingAggregation | null = null;
    if (aggColumn !== null) {
      const bucketValue = decimalToNumber(b.sum);
      let value = bucketValue;
      if (spec.aggregationStrategy === 'cumulative_sum') {
        running = addDecimal(running, b.sum);
        value = decimalToNumber(running);
      }
      aggregation = {
        column: aggColumn,
        strategy: spec.aggregationStrategy,
        dedup,
        bucket_value: bucketValue,
        value,
      };
    }
    grouped[i] = { label, rows: b.rows, aggregation };
  }
  return { grouped };
}
