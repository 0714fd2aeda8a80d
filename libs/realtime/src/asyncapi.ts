import { stringify } from 'yaml';
import { ATHENA_VERSION } from '@athena/health';
import { CLOSE, GATEWAY_ACTIONS } from './frames';

const str = { type: 'string' };
const nullableStr = { type: ['string', 'null'] };

/** The AsyncAPI 3.0 description of `/wss/gateway` (served as `GET /openapi-wss.yaml`). */
export function asyncApiDocument(): Record<string, unknown> {
  const headers = {
    type: 'object',
    additionalProperties: { type: 'string' },
    description:
      'Forwarded as HTTP headers: API key (`apikey`, `x-api-key`, `authorization: Bearer …`), `x-user-id`, `cache-control`, `x-strip-nulls` …',
  };
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Athena WebSocket gateway',
      version: ATHENA_VERSION,
      description: [
        'JSON text frames over `/wss/gateway` on the HTTP port. After the upgrade the server sends one `hello` frame, then one',
        'response per request frame (matched by `request_id`; requests on one connection run concurrently up to `max_in_flight`).',
        'Each request runs through the same authentication, rights, admission, cache, logs and metrics as the HTTP route named in `path`.',
        'Live subscriptions: `subscribe` to a (client, table) with optional conditions; every insert/update/delete through any gateway',
        'instance whose rows match arrives as an `event` frame. Close codes: 1000 normal, 1001 server shutdown, 1003 binary frame,',
        `1008 connection limit, 1009 frame over 4× max_frame_bytes, ${CLOSE.idle} idle timeout, ${CLOSE.slowConsumer} slow consumer (send queue over`,
        'gateway.websocket.send_queue_max_bytes). The upgrade is refused with the HTTP error envelope: 401/403 for a bad key presented',
        'at the upgrade, 429/503 `too_many_connections`.',
      ].join(' '),
    },
    servers: {
      gateway: {
        host: 'localhost:4052',
        protocol: 'ws',
        pathname: '/wss/gateway',
        description: "The gateway's HTTP port (wss behind TLS termination)",
      },
    },
    channels: {
      gateway: {
        address: '/wss/gateway',
        messages: {
          request: { $ref: '#/components/messages/Request' },
          subscribe: { $ref: '#/components/messages/Subscribe' },
          unsubscribe: { $ref: '#/components/messages/Unsubscribe' },
          hello: { $ref: '#/components/messages/Hello' },
          response: { $ref: '#/components/messages/Response' },
          error: { $ref: '#/components/messages/Error' },
          event: { $ref: '#/components/messages/Event' },
        },
      },
    },
    operations: {
      sendRequest: {
        action: 'receive',
        channel: { $ref: '#/channels/gateway' },
        summary: 'A gateway request frame (the server receives it)',
        messages: [{ $ref: '#/channels/gateway/messages/request' }],
      },
      sendSubscribe: {
        action: 'receive',
        channel: { $ref: '#/channels/gateway' },
        messages: [
          { $ref: '#/channels/gateway/messages/subscribe' },
          { $ref: '#/channels/gateway/messages/unsubscribe' },
        ],
      },
      replies: {
        action: 'send',
        channel: { $ref: '#/channels/gateway' },
        summary: 'Frames the server sends',
        messages: [
          { $ref: '#/channels/gateway/messages/hello' },
          { $ref: '#/channels/gateway/messages/response' },
          { $ref: '#/channels/gateway/messages/error' },
          { $ref: '#/channels/gateway/messages/event' },
        ],
      },
    },
    components: {
      messages: {
        Request: {
          name: 'request',
          contentType: 'application/json',
          payload: { $ref: '#/components/schemas/RequestFrame' },
        },
        Subscribe: {
          name: 'subscribe',
          contentType: 'application/json',
          payload: { $ref: '#/components/schemas/SubscribeFrame' },
        },
        Unsubscribe: {
          name: 'unsubscribe',
          contentType: 'application/json',
          payload: { $ref: '#/components/schemas/UnsubscribeFrame' },
        },
        Hello: { name: 'hello', contentType: 'application/json', payload: { $ref: '#/components/schemas/HelloFrame' } },
        Response: {
          name: 'response',
          contentType: 'application/json',
          payload: { $ref: '#/components/schemas/ResponseFrame' },
        },
        Error: { name: 'error', contentType: 'application/json', payload: { $ref: '#/components/schemas/ErrorFrame' } },
        Event: { name: 'event', contentType: 'application/json', payload: { $ref: '#/components/schemas/EventFrame' } },
      },
      schemas: {
        RequestFrame: {
          type: 'object',
          required: ['action', 'client_name'],
          properties: {
            action: { type: 'string', enum: [...GATEWAY_ACTIONS] },
            request_id: {
              ...nullableStr,
              description:
                "Echoed in the response; kept as the call's request id (logs) when it matches [A-Za-z0-9._:-]{1,128}",
            },
            client_name: { ...str, description: 'Equivalent of X-Athena-Client' },
            path: {
              type: 'string',
              enum: [
                '/gateway/fetch',
                '/gateway/data',
                '/data',
                '/gateway/insert',
                '/gateway/update',
                '/gateway/delete',
                '/gateway/query',
              ],
              description: "Must match the action (default: the action's route)",
            },
            method: { ...str, description: "Optional; must match the action's HTTP method" },
            headers,
            query: {
              type: 'object',
              additionalProperties: { type: 'string' },
              description: 'Query parameters (path `/data`)',
            },
            body: { description: 'The HTTP JSON body of the route' },
          },
        },
        SubscribeFrame: {
          type: 'object',
          required: ['action', 'client_name', 'table_name'],
          properties: {
            action: { const: 'subscribe' },
            request_id: nullableStr,
            client_name: str,
            table_name: str,
            conditions: {
              type: 'array',
              items: { type: 'object' },
              description: 'Same shapes as fetch conditions; rows of an event are filtered by them',
            },
            headers,
          },
        },
        UnsubscribeFrame: {
          type: 'object',
          required: ['action', 'subscription_id'],
          properties: { action: { const: 'unsubscribe' }, request_id: nullableStr, subscription_id: str },
        },
        HelloFrame: {
          type: 'object',
          required: ['type', 'request_id', 'status', 'message', 'data'],
          properties: {
            type: { const: 'hello' },
            request_id: { type: 'null' },
            status: { const: 'success' },
            message: str,
            data: { type: 'object' },
          },
        },
        ResponseFrame: {
          type: 'object',
          required: ['type', 'request_id', 'status', 'message', 'data'],
          properties: {
            type: { const: 'response' },
            request_id: nullableStr,
            status: { const: 'success' },
            message: str,
            data: {
              description:
                "The HTTP envelope's `data`; the envelope's other fields (count, truncated, cache_key …) sit beside it",
            },
            http_status: { type: 'integer' },
            cache: { type: 'string', enum: ['hit', 'miss', 'bypass'] },
          },
        },
        ErrorFrame: {
          type: 'object',
          required: ['type', 'request_id', 'status', 'message', 'data', 'code'],
          properties: {
            type: { const: 'response' },
            request_id: nullableStr,
            status: { const: 'error' },
            message: str,
            data: { type: 'null' },
            code: {
              ...str,
              description:
                'Stable code: invalid_json, invalid_frame, unknown_action, missing_client_name, path_action_mismatch, frame_too_large, too_many_subscriptions, unknown_subscription, and every HTTP error code of the route',
            },
            error: str,
            http_status: { type: 'integer' },
            retry_after: { type: 'integer' },
          },
        },
        EventFrame: {
          type: 'object',
          required: ['type', 'subscription_id', 'operation', 'client', 'table', 'rows'],
          properties: {
            type: { const: 'event' },
            request_id: { type: 'null' },
            status: { const: 'success' },
            message: str,
            subscription_id: str,
            operation: { type: 'string', enum: ['insert', 'update', 'delete'] },
            client: str,
            table: str,
            rows: { type: 'array', items: { type: 'object' } },
            write_request_id: str,
            at: { type: 'string', format: 'date-time' },
          },
        },
      },
    },
  };
}

let cached: string | null = null;
export function asyncApiYaml(): string {
  return (cached ??= stringify(asyncApiDocument(), { aliasDuplicateObjects: false }));
}
