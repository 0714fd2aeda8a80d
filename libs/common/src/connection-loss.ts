/** Socket-level failures: the peer cannot be reached or the connection broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'EPIPE',
]);

/**
 * PostgreSQL SQLSTATEs meaning "this server cannot serve this connection" (besides class 08, connection exception):
 * admin/crash shutdown and startup (57P01-03), too many connections (53300), database missing (3D000),
 * authentication refused (28P01, 28000).
 */
const PG_CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', '53300', '3D000', '28P01', '28000']);

/** Messages of node-postgres failures that carry no code (pool connect timeout, closed socket). */
const CONNECTION_MESSAGE_RE =
  /timeout exceeded when trying to connect|Connection terminated|connect ECONN|getaddrinfo/i;

/**
 * True when an error means "the database is not reachable" (network, shutdown, refused connection) as opposed
 * to "it rejected this statement". The one classifier for the data-plane drivers and the control-plane store.
 */
export function isConnectionLoss(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || PG_CONNECTION_CODES.has(code) || code.startsWith('08')))
    return true;
  const message = (err as { message?: unknown }).message;
  return typeof message === 'string' && CONNECTION_MESSAGE_RE.test(message);
}

/**
 * node-postgres (pg-pool) gave up waiting for a free pooled connection: every connection of the pool is busy.
 * Back-pressure, not an outage (the establishment timeout has its own message, "Connection terminated due to
 * connection timeout"). The breaker never opens for it; callers answer 503 `pool_exhausted`.
 */
export function isPoolExhausted(err: unknown): boolean {
  if (err === null || typeof err !== 'object') return false;
  const e = err as { code?: unknown; message?: unknown };
  return e.code === undefined && e.message === 'timeout exceeded when trying to connect';
}
