/**
 * Fixtures shared by the store's test suites (imported by relative path from specs; not part of the library's
 * public index).
 */
import type { OperationLogRow, RequestLogRow } from './log-rows';

/** A `gateway_request_log` row with test defaults. */
export const requestLogRow = (over: Partial<RequestLogRow> = {}): RequestLogRow => ({
  created_at: '2026-12-06T07:00:00.000Z',
  request_id: 'r1',
  client: 'main',
  method: 'POST',
  path: '/gateway/fetch',
  query_string: null,
  status_code: 200,
  ipv4: '127.0.0.1',
  user_agent: 'curl/8',
  user_id: null,
  company_id: null,
  organization_id: null,
  host: 'localhost:4052',
  cached: false,
  time: 1.25,
  ...over,
});

/** A `gateway_operation_log` row with test defaults. */
export const operationLogRow = (over: Partial<OperationLogRow> = {}): OperationLogRow => ({
  created_at: '2026-12-06T07:00:00.000Z',
  request_id: 'r1',
  operation: 'fetch',
  table_name: 'items',
  client_name: 'main',
  method: 'POST',
  path: '/gateway/fetch',
  status_code: 200,
  duration_ms: 0.5,
  row_count: 1,
  cached: false,
  error: false,
  message: null,
  cache_key: 'items:id:1:0123456789abcdef',
  user_id: null,
  company_id: null,
  organization_id: null,
  details: null,
  ...over,
});
