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

/** One `api_key_auth_log` row as the writer produces it. */
export interface AuthLogRow {
  /** Epoch milliseconds (written as an ISO timestamp when the row is encoded). */
  created_at: number;
  request_id: string | null;
  api_key_id: string | null;
  presented_public_id: string | null;
  presented_hash_prefix: string | null;
  key_source: string | null;
  credential: 'api_key' | 'admin_key' | 'none';
  client_name: string | null;
  method: string;
  path: string;
  ipv4: string | null;
  user_agent: string | null;
  enforced: boolean;
  authenticated: boolean;
  authorized: boolean;
  required_rights: string[] | null;
  granted_rights: string[] | null;
  outcome: string;
  reason: string | null;
}
