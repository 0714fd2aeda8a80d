import { AthenaError, isConnectionLoss } from '@athena/common';
import { unsupportedByBackend } from '@athena/query';
import { DriversErrors } from '../errors';
import { cassandraDriver } from './cassandra-module';

const codes = () => cassandraDriver().types.responseErrorCodes;

/**
 * Network-level or capacity failures: the cluster cannot serve right now (as opposed to rejecting the statement).
 * A client-side request timeout is NOT one by itself: one slow statement on a healthy cluster times out the same
 * way as a hung node. The driver tells them apart with a short probe (see `isClientTimeout`).
 */
export function isUnavailableError(err: unknown): boolean {
  const C = codes();
  if (
    err instanceof cassandraDriver().errors.NoHostAvailableError ||
    err instanceof cassandraDriver().errors.BusyConnectionError
  )
    return true;
  if (err instanceof cassandraDriver().errors.ResponseError) {
    return err.code === C.unavailableException || err.code === C.overloaded || err.code === C.isBootstrapping;
  }
  return isConnectionLoss(err);
}

/** The driver gave up waiting for the answer (`readTimeout` / `request_timeout_ms`); the statement may still run. */
export function isClientTimeout(err: unknown): boolean {
  return err instanceof cassandraDriver().errors.OperationTimedOutError;
}

/**
 * 504 for a statement that outlived its client-side limit while the cluster itself kept answering. `limit` names the
 * setting that bounded it, e.g. `scylla_clients.events.request_timeout_ms (1500 ms)`.
 */
export function statementTimeout(clientName: string, limit?: string): AthenaError {
  return DriversErrors.queryTimeout(
    `The statement exceeded ${limit ?? 'request_timeout_ms'}`,
    `The cluster behind client "${clientName}" is up but did not finish the statement in time; ` +
      'narrow it (key columns, a LIMIT, no full scan) or raise the limit',
  );
}

/**
 * Maps a cassandra-driver error to a stable Athena error. `exposeMessage` is set for raw CQL, where the caller
 * wrote the statement and needs the server's words; `pagedWith` is the page_state the request carried.
 */
export function mapCqlError(
  err: unknown,
  clientName: string,
  opts: { exposeMessage?: boolean; pagedWith?: string } = {},
): AthenaError {
  const C = codes();
  if (err instanceof AthenaError) return err;
  const e = err as { message?: string; code?: number };
  const msg = e?.message ?? String(err);
  if (isUnavailableError(err)) {
    return DriversErrors.backendUnavailable(
      `Backend for client "${clientName}" is unavailable`,
      `The ScyllaDB/Cassandra cluster behind client "${clientName}" cannot be reached right now; retry later`,
    );
  }
  if (isClientTimeout(err)) return statementTimeout(clientName);
  if (err instanceof cassandraDriver().errors.AuthenticationError) {
    return DriversErrors.backendUnavailable(
      `Backend for client "${clientName}" rejected the credentials`,
      `The ScyllaDB/Cassandra cluster behind client "${clientName}" refused the configured username/password`,
      undefined,
      { 'Retry-After': '30' },
    );
  }
  const detail = (fallback: string) => (opts.exposeMessage ? msg : fallback);
  if (err instanceof cassandraDriver().errors.ResponseError) {
    if (opts.pagedWith && (e.code === C.protocolError || e.code === C.invalid) && /pag/i.test(msg)) {
      return DriversErrors.invalidPageState(
        'Invalid page_state',
        'page_state must be the unchanged token a previous fetch of the same request returned',
      );
    }
    switch (e.code) {
      case C.invalid:
        if (/ALLOW FILTERING/i.test(msg)) {
          return unsupportedByBackend(
            'a filter that needs ALLOW FILTERING',
            `The cluster would need a full scan for this request (${msg}); filter on key columns or an index`,
          );
        }
        if (/unconfigured table|table .* does not exist|Keyspace .* does not exist/i.test(msg)) {
          return DriversErrors.unknownTable('Unknown table', detail('The table does not exist'));
        }
        if (/Undefined column name|Unknown identifier/i.test(msg)) {
          return DriversErrors.unknownColumn('Unknown column', detail('A column does not exist'));
        }
        if (/[Bb]atch/.test(msg)) {
          return unsupportedByBackend('this batch', msg);
        }
        return DriversErrors.invalidQuery(
          'The statement was rejected',
          detail('The cluster rejected the statement; check values and types'),
        );
      case C.syntaxError:
        return DriversErrors.cqlSyntaxError('CQL syntax error', detail('The statement has a syntax error'));
      case C.unauthorized:
        return DriversErrors.backendPermissionDenied(
          'Permission denied by the database',
          detail('The role of this client lacks a permission for this statement'),
        );
      case C.alreadyExists:
        return DriversErrors.conflict('Already exists', detail('The keyspace or table already exists'));
      case C.configError:
        return DriversErrors.invalidQuery(
          'Configuration problem',
          detail('The statement conflicts with the cluster configuration'),
        );
      case C.readTimeout:
      case C.writeTimeout:
        return DriversErrors.queryTimeout(
          'The statement timed out on the cluster',
          detail('Replicas did not answer in time; narrow the query or retry'),
        );
      case C.readFailure:
      case C.writeFailure:
      case C.functionFailure:
        return DriversErrors.backendUnavailable(
          `Backend for client "${clientName}" failed the statement`,
          detail('Replicas failed the statement; retry later'),
        );
      default:
        break;
    }
  }
  if (err instanceof TypeError || err instanceof RangeError || err instanceof cassandraDriver().errors.ArgumentError) {
    // The driver could not encode a bound value for the column's CQL type.
    return DriversErrors.invalidValue(
      'A value does not fit its column type',
      `A value in the request cannot be converted to the column type: ${msg}`,
    );
  }
  return DriversErrors.backendError(
    'The database failed to execute the statement',
    'The ScyllaDB/Cassandra cluster returned an error; see the gateway logs with the request id',
  );
}

const MISSING_KEYSPACE_RE = /Keyspace '?"?([A-Za-z0-9_]+)"?'? does not exist/i;

/** The keyspace a connect failure says does not exist (also inside NoHostAvailableError's per-host errors), or null. */
export function missingKeyspace(err: unknown): string | null {
  const msgs: string[] = [];
  const e = err as { message?: unknown; innerErrors?: Record<string, unknown> } | null;
  if (typeof e?.message === 'string') msgs.push(e.message);
  if (e?.innerErrors && typeof e.innerErrors === 'object') {
    for (const inner of Object.values(e.innerErrors)) {
      const m = (inner as { message?: unknown } | null)?.message;
      if (typeof m === 'string') msgs.push(m);
    }
  }
  for (const m of msgs) {
    const hit = MISSING_KEYSPACE_RE.exec(m);
    if (hit) return hit[1];
  }
  return null;
}

/** The client's configured keyspace does not exist: say so (statements naming another keyspace still run). */
export function keyspaceMissing(clientName: string, keyspace: string): AthenaError {
  return DriversErrors.keyspaceMissing(
    `Keyspace "${keyspace}" of client "${clientName}" does not exist`,
    `The cluster is up but the keyspace "${keyspace}" configured for client "${clientName}" does not exist; create it ` +
      `(e.g. CREATE KEYSPACE through /gateway/query on this client) or name tables as "keyspace.table"`,
  );
}
