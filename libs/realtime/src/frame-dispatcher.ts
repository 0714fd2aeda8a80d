import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  AuthenticationService,
  AuthorizationService,
  AuthPolicy,
  extractKeyCandidates,
  KeyCandidate,
  tableRight,
} from '@athena/auth';
import { parseCacheControl } from '@athena/cache';
import { GatewayCall, Principal, ANONYMOUS } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { RequestTargetResolver } from '@athena/catalog';
import { GatewayOutcome, GatewayService } from '@athena/gateway';
import { mapError } from '@athena/http';
import { parseFetchPayload } from '@athena/query';
import type { Connection, Subscription } from './connection';
import { ConnectionRegistry } from './connection-registry';
import { FRAME_ADMISSION, FrameAdmission } from './frame-admission';
import { ACTION_ROUTES, GatewayAction, RequestFrame, ResponseFrame } from './frames';
import { RealtimeErrors } from './errors';

const UNAUTHENTICATED: Principal = Object.freeze({ context: ANONYMOUS });

const POLICIES: Record<GatewayAction, AuthPolicy> = {
  'gateway.fetch': { kind: 'table', action: 'read' },
  'gateway.insert': { kind: 'table', action: 'write' },
  'gateway.update': { kind: 'table', action: 'write' },
  'gateway.delete': { kind: 'table', action: 'delete' },
  'gateway.query': { kind: 'right', right: 'gateway.query', by: 'service' },
};
const SUBSCRIBE_POLICY: AuthPolicy = { kind: 'table', action: 'read' };

/**
 * The WebSocket edge of the application layer: one request frame → one GatewayCall (origin.transport
 * `websocket`) → authentication (the key presented per frame in `headers`, else at the upgrade) → admission →
 * the same GatewayService method the HTTP controller calls (authorization, cache, logs and metrics happen
 * there) → one response frame. Subscriptions are authorized with the same AuthorizationService (`<table>.read`).
 */
@Injectable()
export class FrameDispatcher {
  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly gateway: GatewayService,
    private readonly authn: AuthenticationService,
    private readonly authz: AuthorizationService,
    private readonly targets: RequestTargetResolver,
    private readonly registry: ConnectionRegistry,
    @Inject(FRAME_ADMISSION) private readonly admission: FrameAdmission,
  ) {}

  /** Builds the frame's GatewayCall: the frame's headers play the HTTP request's headers. */
  callFor(conn: Connection, f: RequestFrame, method: string, url: string): GatewayCall {
    const h = f.headers;
    return {
      requestId: f.request_id ?? randomUUID(),
      client: f.client_name,
      target: {
        directUri: h['x-pg-uri'] || h['x-jdbc-url'] || h['x-athena-jdbc-url'] || null,
        supabaseUrl: h['x-supabase-url'],
        supabaseKey: h['x-supabase-key'],
      },
      principal: UNAUTHENTICATED,
      cache: parseCacheControl(h['cache-control']),
      stripNulls: h['x-strip-nulls'],
      tenant: {
        userId: h['x-user-id'] || null,
        companyId: h['x-company-id'] || null,
        organizationId: h['x-organization-id'] || null,
      },
      deadline: null,
      origin: { transport: 'websocket', method, url, ip: conn.ip, userAgent: conn.userAgent, host: conn.host },
    };
  }

  /** Credentials of a frame: its own `headers` when they carry any, else those presented at the upgrade. */
  private candidates(conn: Connection, f: RequestFrame): KeyCandidate[] {
    const own = extractKeyCandidates(f.headers, '');
    return own.length > 0 ? own : conn.candidates;
  }

  private async authenticate(conn: Connection, f: RequestFrame, call: GatewayCall, policy: AuthPolicy): Promise<void> {
    const p = this.authn.authenticate(call, policy, this.candidates(conn, f));
    call.principal = p instanceof Promise ? await p : p;
  }

  /** Runs one gateway action frame; never throws (errors become error frames). */
  async gatewayFrame(conn: Connection, f: RequestFrame): Promise<ResponseFrame> {
    const action = f.action as GatewayAction;
    const path = f.path!;
    const isGet = path === '/data';
    const qs = new URLSearchParams(f.query).toString();
    const call = this.callFor(conn, f, isGet ? 'GET' : ACTION_ROUTES[action].method, qs ? `${path}?${qs}` : path);
    try {
      await this.authenticate(conn, f, call, POLICIES[action]);
      // ADMISSION: the one call site for admission control of WebSocket frames (FRAME_ADMISSION, see frame-admission.ts).
      const admitted = this.admission.admit(call, action);
      if (admitted instanceof Promise) await admitted;
      const outcome = await this.run(call, action, path, f);
      return successFrame(call.requestId, outcome);
    } catch (e) {
      return errorFrame(call.requestId, e);
    }
  }

  private run(call: GatewayCall, action: GatewayAction, path: string, f: RequestFrame): Promise<GatewayOutcome> {
    switch (action) {
      case 'gateway.fetch':
        if (path === '/data') return this.gateway.fetchByQuery(call, f.query);
        return this.gateway.fetch(call, f.body, path === '/gateway/data' ? 'gateway_data' : 'gateway_fetch');
      case 'gateway.insert':
        return this.gateway.insert(call, f.body);
      case 'gateway.update':
        return this.gateway.update(call, f.body);
      case 'gateway.delete':
        return this.gateway.delete(call, f.body);
      case 'gateway.query':
        return this.gateway.query(call, f.body);
    }
  }

  /** `subscribe`: authenticate, resolve the client, parse table + conditions, authorize `<table>.read`, register. */
  async subscribe(conn: Connection, f: RequestFrame): Promise<ResponseFrame> {
    const call = this.callFor(conn, f, 'SUBSCRIBE', '/wss/gateway');
    try {
      const max = this.config.gateway.websocket.max_subscriptions;
      if (conn.subs.size >= max) {
        throw RealtimeErrors.tooManySubscriptions(
          'Too many subscriptions on this connection',
          `At most ${max} subscriptions per connection (gateway.websocket.max_subscriptions); unsubscribe first`,
        );
      }
      await this.authenticate(conn, f, call, SUBSCRIBE_POLICY);
      const q = parseFetchPayload(
        { table_name: f.table_name, conditions: f.conditions ?? [] },
        {
          camelToSnake: this.config.gateway.force_camel_case_to_snake_case,
          maxRows: 1,
          stripNullsHeader: undefined,
        },
      );
      const right = tableRight('read', q.table);
      this.authz.authorize(call, right);
      const t = this.targets.resolve(call);
      const target = t instanceof Promise ? await t : t;
      if (target.ephemeral) {
        throw RealtimeErrors.subscriptionTargetUnsupported(
          'Subscriptions need a catalog client',
          'Direct connections and custom_supabase cannot be subscribed to; name a configured client',
        );
      }
      const table = q.table.schema ? `${q.table.schema}.${q.table.name}` : q.table.name;
      const s: Subscription = {
        id: randomUUID(),
        conn,
        client: target.driver.clientName,
        table,
        filters: q.conditions,
        right,
        principal: call.principal,
        createdAt: Date.now(),
        events: 0,
      };
      this.registry.subscribe(s);
      return {
        type: 'response',
        request_id: call.requestId,
        status: 'success',
        message: 'Subscribed',
        data: { subscription_id: s.id, client: s.client, table: s.table, conditions: s.filters.length },
      };
    } catch (e) {
      return errorFrame(call.requestId, e);
    }
  }

  unsubscribe(conn: Connection, f: RequestFrame): ResponseFrame {
    const requestId = f.request_id ?? randomUUID();
    const id = typeof f.subscription_id === 'string' ? f.subscription_id : null;
    if (id === null || !this.registry.unsubscribe(conn, id)) {
      return errorFrame(
        requestId,
        RealtimeErrors.unknownSubscription(
          'Unknown subscription',
          '"subscription_id" must name a live subscription of this connection',
        ),
      );
    }
    return {
      type: 'response',
      request_id: requestId,
      status: 'success',
      message: 'Unsubscribed',
      data: { subscription_id: id },
    };
  }
}

/** A service outcome → the response frame: the envelope's `message`/`data`, its other fields, the status. */
export function successFrame(requestId: string, o: GatewayOutcome): ResponseFrame {
  const { status: _s, message, data, ...extra } = o.body as unknown as Record<string, unknown>;
  const frame: ResponseFrame = {
    type: 'response',
    request_id: requestId,
    status: 'success',
    message: String(message),
    data: data ?? null,
    ...extra,
    http_status: o.status,
  };
  if (o.cache) frame.cache = o.cache.outcome;
  if (o.truncated) frame.truncated = true;
  return frame;
}

/** Anything thrown → an error frame with the envelope's `code` and `error` (same mapping as HTTP). */
export function errorFrame(requestId: string | null, e: unknown): ResponseFrame {
  const m = mapError(e, requestId ?? 'unknown');
  const { status: _s, message, ...rest } = m.body as unknown as Record<string, unknown>;
  const frame: ResponseFrame = {
    type: 'response',
    request_id: requestId,
    status: 'error',
    message: String(message),
    data: null,
    ...rest,
    http_status: m.status,
  };
  if (m.headers['Retry-After']) frame.retry_after = Number(m.headers['Retry-After']);
  return frame;
}
