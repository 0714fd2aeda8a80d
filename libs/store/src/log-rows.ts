/** One `gateway_request_log` row as the writer produces it (snake_case = column names). */
export interface RequestLogRow {
  created_at: string;
  request_id: string;
  client: string | null;
  method: string;
  path: string;
  query_string: string | null;
  status_code: number;
  ipv4: string | null;
  user_agent: string | null;
  user_id: string | null;
  company_id: string | null;
  organization_id: string | null;
  host: string | null;
  cached: boolean;
  time: number;
}

/** One `gateway_operation_log` row. */
export interface OperationLogRow {
  created_at: string;
  request_id: string;
  operation: string;
  table_name: string | null;
  client_name: string | null;
  method: string;
  path: string;
  status_code: number;
  duration_ms: number;
  row_count: number | null;
  cached: boolean;
  error: boolean;
  message: string | null;
  cache_key: string | null;
  user_id: string | null;
  company_id: string | null;
  organization_id: string | null;
  details: Record<string, unknown> | null;
}
