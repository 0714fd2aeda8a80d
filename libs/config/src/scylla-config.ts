/**
 * `scylla_clients`: client name → ScyllaDB/Cassandra connection settings (cassandra-driver). Every key but
 * `contact_points` has a default; `${ENV}` tokens are interpolated before this runs. A client whose
 * `contact_points` is empty (e.g. an unset `${VAR}`) stays registered but answers 503 `client_unconfigured`.
 *
 * scylla_clients:
 *   events:
 *     contact_points: ["10.0.0.5:9042", "10.0.0.6"]   # host or host:port (default port 9042); list or "a,b"
 *     local_data_center: dc1
 *     keyspace: app                                    # default keyspace for unqualified table names
 *     username: ${SCYLLA_USER:-}
 *     password: ${SCYLLA_PASSWORD:-}
 */
import { z } from 'zod';
import { isValidClientName } from '@athena/common';
import { bool, EXPECT_CLIENT_NAME, int, isBlank, strList } from './schema-primitives';

const HOST_PORT_RE = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const IDENT_RE = /^[A-Za-z_][A-Za-z0-9_]{0,47}$/;

function nullableText(expected: string, test: (s: string) => boolean = () => true) {
  return z.unknown().transform((v, ctx): string | null => {
    if (isBlank(v)) return null;
    if (typeof v !== 'string' && typeof v !== 'number') {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: expected });
      return z.NEVER;
    }
    const s = String(v).trim();
    if (!test(s)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: expected });
      return z.NEVER;
    }
    return s;
  });
}

function clientSchema() {
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z
      .object(
        {
          // `host` or `host:port`; empty = client not configured (503 client_unconfigured)
          contact_points: strList(() => [], {
            expected: 'host or host:port',
            test: (s) => HOST_PORT_RE.test(s) && portOk(s),
          }),
          local_data_center: z.unknown().transform((v, ctx): string => {
            if (isBlank(v)) return 'datacenter1';
            if (typeof v !== 'string') {
              ctx.addIssue({ code: z.ZodIssueCode.custom, message: 'data centre name (string)' });
              return z.NEVER;
            }
            return v.trim();
          }),
          // default keyspace; null = table names must be keyspace-qualified
          keyspace: nullableText('keyspace name matching [A-Za-z_][A-Za-z0-9_]{0,47}', (s) => IDENT_RE.test(s)),
          // both or neither: PlainTextAuthProvider
          username: nullableText('string'),
          password: nullableText('string'),
          pool_size: int(1, 64, 2), // connections per host
          max_requests_per_connection: int(1, 32768, 1024), // in-flight requests per connection
          connect_timeout_ms: int(100, 600000, 5000),
          request_timeout_ms: int(100, 600000, 10000), // client-side read timeout per request
          fetch_size_max: int(1, 100000, 5000), // cap on rows per page (also capped by gateway.max_rows)
          allow_filtering: bool(false), // false: filters that need ALLOW FILTERING answer 422
        },
        {
          errorMap: (issue, ctx) =>
            issue.code === z.ZodIssueCode.invalid_type ? { message: 'map of keys' } : { message: ctx.defaultError },
        },
      )
      .strict({
        message:
          'contact_points, local_data_center, keyspace, username, password, pool_size, max_requests_per_connection, connect_timeout_ms, request_timeout_ms, fetch_size_max, allow_filtering',
      })
      .superRefine((c, ctx) => {
        if ((c.username === null) !== (c.password === null)) {
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: [c.username === null ? 'username' : 'password'],
            message: 'username and password set together (both or neither)',
          });
        }
      }),
  );
}

/** One `scylla_clients` entry after validation (derived from the schema above). */
export type ScyllaClientConfig = z.output<ReturnType<typeof clientSchema>>;

function portOk(s: string): boolean {
  const m = /:(\d{1,5})$/.exec(s);
  if (!m || (s.startsWith('[') && !s.includes(']:'))) return true;
  const p = Number(m[1]);
  return p >= 1 && p <= 65535;
}

/** The `scylla_clients` section schema (used by buildConfigSchema). */
export function scyllaClientsSchema() {
  const one = clientSchema();
  return z.preprocess(
    (v) => (v === undefined || v === null ? {} : v),
    z
      .record(z.string(), z.unknown(), {
        errorMap: (issue, ctx) =>
          issue.code === z.ZodIssueCode.invalid_type
            ? { message: 'map of client name to connection settings' }
            : { message: ctx.defaultError },
      })
      .transform((rec, ctx) => {
        const out: Record<string, ScyllaClientConfig> = {};
        for (const [name, raw] of Object.entries(rec)) {
          if (!isValidClientName(name)) {
            ctx.addIssue({ code: z.ZodIssueCode.custom, message: EXPECT_CLIENT_NAME, params: { got: name } });
            continue;
          }
          const r = one.safeParse(raw);
          if (!r.success) {
            for (const i of r.error.issues) ctx.addIssue({ ...i, path: [name, ...i.path] } as z.IssueData);
            continue;
          }
          out[name] = r.data;
        }
        return out;
      }),
  );
}
