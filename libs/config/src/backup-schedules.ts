/**
 * `backup.schedules`: cron schedules of PostgreSQL client backups (libs/backups runs them), e.g.
 *
 * backup:
 *   schedules:
 *     - client_name: reporting
 *       cron: "0 3 * * *"      # 5 fields (minute precision) or 6 (leading seconds); evaluated in time_zone
 *       label: nightly         # object label, default "scheduled"; (client_name, label) is the schedule's identity
 *       keep_last: 7           # optional: after a successful run, delete this schedule's older objects beyond 7
 *       time_zone: UTC         # IANA zone, default UTC
 */
import { CronTime } from 'cron';
import { z } from 'zod';
import { isValidClientName } from '@athena/common';
import { EXPECT_CLIENT_NAME, isBlank, toNumber } from './schema-primitives';

/** Same rule as backup labels (libs/backups LABEL_RE): they end up in the object key. */
export const SCHEDULE_LABEL_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
export const DEFAULT_SCHEDULE_LABEL = 'scheduled';
/** Retention lists at most 1000 objects per client folder (BackupStorage.list). */
export const MAX_KEEP_LAST = 1000;

export interface BackupScheduleDecl {
  client_name: string;
  cron: string;
  label: string;
  keep_last: number | null;
  time_zone: string;
}

const KEYS = ['client_name', 'cron', 'label', 'keep_last', 'time_zone'];

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** Null when `expr` is a cron expression CronTime accepts in `zone`, else why not. */
export function cronProblem(expr: string, zone: string): string | null {
  const fields = expr.split(/\s+/).filter(Boolean).length;
  if (fields !== 5 && fields !== 6) return `${fields} field(s)`;
  try {
    new CronTime(expr, zone);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export function backupSchedules() {
  return z.unknown().transform((v, ctx): BackupScheduleDecl[] => {
    if (isBlank(v)) return [];
    if (!Array.isArray(v)) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        message: 'list of {client_name, cron, label?, keep_last?, time_zone?}',
      });
      return z.NEVER;
    }
    const out: BackupScheduleDecl[] = [];
    const seen = new Map<string, number>();
    v.forEach((item, i) => {
      const issue = (key: string | null, message: string, got?: unknown): void => {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: key ? [i, key] : [i],
          message,
          ...(got !== undefined ? { params: { got } } : {}),
        });
      };
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        issue(null, 'map with client_name and cron');
        return;
      }
      const o = item as Record<string, unknown>;
      let bad = false;
      for (const k of Object.keys(o)) {
        if (!KEYS.includes(k)) {
          issue(k, `known key (allowed: ${KEYS.join(', ')})`);
          bad = true;
        }
      }
      const client = text(o.client_name);
      if (!client || !isValidClientName(client)) {
        issue('client_name', EXPECT_CLIENT_NAME);
        bad = true;
      }
      const zone = isBlank(o.time_zone) ? 'UTC' : text(o.time_zone);
      const zoneProblem = zone === undefined ? 'not a string' : cronProblem('0 0 * * *', zone);
      if (zoneProblem) {
        issue('time_zone', 'IANA time zone (e.g. UTC, Europe/Berlin)');
        bad = true;
      }
      const cron = text(o.cron);
      const why = cron ? cronProblem(cron, zoneProblem ? 'UTC' : zone!) : 'missing';
      if (why) {
        issue(
          'cron',
          `cron expression with 5 fields (minute hour day-of-month month day-of-week) or 6 (leading seconds); ${why}`,
        );
        bad = true;
      }
      const label = isBlank(o.label) ? DEFAULT_SCHEDULE_LABEL : text(o.label);
      if (label === undefined || !SCHEDULE_LABEL_RE.test(label)) {
        issue('label', `label matching ${SCHEDULE_LABEL_RE.source}`);
        bad = true;
      }
      let keep: number | null = null;
      if (!isBlank(o.keep_last)) {
        const n = toNumber(o.keep_last);
        if (n === undefined || !Number.isInteger(n) || n < 1 || n > MAX_KEEP_LAST) {
          issue('keep_last', `integer 1..${MAX_KEEP_LAST} (or empty: no retention)`);
          bad = true;
        } else keep = n;
      }
      if (bad) return;
      const id = `${client!.toLowerCase()}/${label}`;
      const first = seen.get(id);
      if (first !== undefined) {
        issue('label', `label unique per client_name (schedule ${first} already uses "${label}" for "${client}")`);
        return;
      }
      seen.set(id, i);
      out.push({
        client_name: client!,
        cron: cron!.split(/\s+/).join(' '),
        label: label!,
        keep_last: keep,
        time_zone: zone!,
      });
    });
    return out;
  });
}
