import { RealtimeErrors } from './errors';

/** The gateway actions of §9.2, and the live-subscription actions (beyond the reference). */
export const GATEWAY_ACTIONS = [
  'gateway.fetch',
  'gateway.insert',
  'gateway.update',
  'gateway.delete',
  'gateway.query',
] as const;
export type GatewayAction = (typeof GATEWAY_ACTIONS)[number];
export const SUBSCRIPTION_ACTIONS = ['subscribe', 'unsubscribe'] as const;
export type FrameAction = GatewayAction | (typeof SUBSCRIPTION_ACTIONS)[number];

/** The HTTP routes a gateway action may name in `path`, and the method the call stands for in the logs. */
export const ACTION_ROUTES: Record<GatewayAction, { method: string; paths: readonly string[] }> = {
  'gateway.fetch': { method: 'POST', paths: ['/gateway/fetch', '/gateway/data', '/data'] },
  'gateway.insert': { method: 'PUT', paths: ['/gateway/insert'] },
  'gateway.update': { method: 'POST', paths: ['/gateway/update'] },
  'gateway.delete': { method: 'DELETE', paths: ['/gateway/delete'] },
  'gateway.query': { method: 'POST', paths: ['/gateway/query'] },
};

/** A request frame after validation (JSON text frame, §9.2). */
export interface RequestFrame {
  action: FrameAction;
  request_id: string | null;
  client_name: string | null;
  path: string | null;
  headers: Record<string, string>;
  query: Record<string, string>;
  body: unknown;
  /** subscribe */
  table_name?: unknown;
  conditions?: unknown;
  /** unsubscribe */
  subscription_id?: unknown;
}

/** Every frame the server sends carries `type`; responses and the hello frame follow §9.2's response shape. */
export interface ResponseFrame {
  type: 'hello' | 'response';
  request_id: string | null;
  status: 'success' | 'error';
  message: string;
  data: unknown;
  [extra: string]: unknown;
}

export interface EventFrame {
  type: 'event';
  request_id: null;
  status: 'success';
  message: string;
  subscription_id: string;
  operation: 'insert' | 'update' | 'delete';
  client: string;
  table: string;
  rows: Record<string, unknown>[];
  write_request_id: string;
  at: string;
}

/** Close codes the server uses (documented in /openapi-wss.yaml and the README). */
export const CLOSE = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policy: 1008,
  tooBig: 1009,
  idle: 4000,
  slowConsumer: 4008,
} as const;

function stringMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v))
    throw RealtimeErrors.invalidFrame(`"${field}" must be an object`, `Send "${field}" as an object of string values`);
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v as Record<string, unknown>)) {
    if (val === undefined || val === null) continue;
    if (typeof val === 'object')
      throw RealtimeErrors.invalidFrame(
        `"${field}.${k}" must be a string`,
        `Values of "${field}" are strings (numbers and booleans are converted)`,
      );
    out[field === 'headers' ? k.toLowerCase() : k] = String(val);
  }
  return out;
}

/**
 * Validates a parsed frame. Throws AthenaError (400) with a stable code: `invalid_frame`, `unknown_action`,
 * `missing_client_name`, `path_action_mismatch`.
 */
export function parseFrame(raw: unknown): RequestFrame {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw RealtimeErrors.invalidFrame(
      'Invalid frame',
      'A request frame is a JSON object with "action", "client_name" and "path"',
    );
  }
  const f = raw as Record<string, unknown>;
  const action = f.action;
  if (typeof action !== 'string')
    throw RealtimeErrors.invalidFrame(
      'Missing "action"',
      `"action" is one of ${[...GATEWAY_ACTIONS, ...SUBSCRIPTION_ACTIONS].join(', ')}`,
    );
  const isGateway = (GATEWAY_ACTIONS as readonly string[]).includes(action);
  if (!isGateway && !(SUBSCRIPTION_ACTIONS as readonly string[]).includes(action)) {
    throw RealtimeErrors.unknownAction(
      `Unknown action "${action.slice(0, 64)}"`,
      `"action" is one of ${[...GATEWAY_ACTIONS, ...SUBSCRIPTION_ACTIONS].join(', ')}`,
    );
  }
  const client = typeof f.client_name === 'string' && f.client_name.trim() !== '' ? f.client_name.trim() : null;
  const path = typeof f.path === 'string' ? f.path : null;
  if (isGateway) {
    if (client === null)
      throw RealtimeErrors.missingClientName(
        'Missing "client_name"',
        '"client_name" names the client, like the X-Athena-Client header',
      );
    const route = ACTION_ROUTES[action as GatewayAction];
    const p = path === null ? route.paths[0] : path.split('?')[0];
    if (!route.paths.includes(p)) {
      throw RealtimeErrors.pathActionMismatch(
        `"path" does not match action ${action}`,
        `For ${action}, "path" is ${route.paths.join(' or ')}`,
      );
    }
    if (
      f.method !== undefined &&
      f.method !== null &&
      (typeof f.method !== 'string' || f.method.toUpperCase() !== (p === '/data' ? 'GET' : route.method))
    ) {
      throw RealtimeErrors.pathActionMismatch(
        `"method" does not match action ${action}`,
        `For ${action} on ${p}, "method" is ${p === '/data' ? 'GET' : route.method} (or omit it)`,
      );
    }
  } else if (action === 'subscribe' && client === null) {
    throw RealtimeErrors.missingClientName(
      'Missing "client_name"',
      '"client_name" names the client whose table to watch',
    );
  }
  return {
    action: action as FrameAction,
    request_id: wellFormedId(f.request_id),
    client_name: client,
    path: isGateway ? (path === null ? ACTION_ROUTES[action as GatewayAction].paths[0] : path.split('?')[0]) : null,
    headers: stringMap(f.headers, 'headers'),
    query: stringMap(f.query, 'query'),
    body: f.body,
    table_name: f.table_name,
    conditions: f.conditions,
    subscription_id: f.subscription_id,
  };
}

const WELL_FORMED = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller-chosen request id is kept when short and made of safe characters (same rule as X-Request-Id). */
export function wellFormedId(v: unknown): string | null {
  return typeof v === 'string' && WELL_FORMED.test(v) ? v : null;
}

/** The request id a raw (possibly invalid) frame asked for, for the error frame's echo. */
export function rawRequestId(raw: unknown): string | null {
  return raw !== null && typeof raw === 'object' ? wellFormedId((raw as { request_id?: unknown }).request_id) : null;
}
