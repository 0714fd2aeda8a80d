import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown, Optional } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import fastifyWebsocket from '@fastify/websocket';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import type { Logger as PinoLogger } from 'pino';
import type { RawData, WebSocket } from 'ws';
import { AuthenticationService, extractKeyCandidates, parseApiKey } from '@athena/auth';
import { AthenaError, ANONYMOUS, firstValue, GatewayCall } from '@athena/common';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { checkJsonText, mapError } from '@athena/http';
import { ROOT_LOGGER } from '@athena/observability';
import type { Connection } from './connection';
import { ConnectionRegistry } from './connection-registry';
import { errorFrame, FrameDispatcher } from './frame-dispatcher';
import {
  CLOSE,
  GATEWAY_ACTIONS,
  parseFrame,
  rawRequestId,
  RequestFrame,
  ResponseFrame,
  SUBSCRIPTION_ACTIONS,
} from './frames';
import { RealtimeMetrics } from './realtime-metrics';
import { RealtimeErrors } from './errors';

export const WSS_PATH = '/wss/gateway';

interface Pending {
  conn: Connection;
  frames: string[];
}

/**
 * `/wss/gateway` on the HTTP server's port (@fastify/websocket on Nest's Fastify instance). The upgrade runs
 * through Fastify (request id, hooks); connection limits and a key presented at the upgrade are checked before
 * the socket is upgraded (refused with the HTTP error envelope). Then: a hello frame, one response per request
 * frame, at most `max_in_flight` requests processed at once per connection (beyond that, reading pauses: TCP
 * back-pressure, no queue growth), heartbeats and an idle timeout.
 */
@Injectable()
export class WssServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger: PinoLogger;
  private sweep: NodeJS.Timeout | null = null;
  private readonly backlog = new WeakMap<Connection, Pending>();
  private ready = false;

  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly registry: ConnectionRegistry,
    private readonly dispatcher: FrameDispatcher,
    private readonly authn: AuthenticationService,
    private readonly metrics: RealtimeMetrics,
    @Inject(ROOT_LOGGER) root: PinoLogger,
    @Optional() private readonly adapterHost?: HttpAdapterHost,
  ) {
    this.logger = root.child({ component: 'wss' });
  }

  /** True once the route is installed (and the feature enabled). */
  get serving(): boolean {
    return this.ready;
  }

  /**
   * Registered at bootstrap, after Nest has installed its Fastify error and not-found handlers: awaiting a plugin
   * registration earlier (onModuleInit) loads Fastify's plugin queue before those handlers exist, and framework
   * errors (malformed JSON, oversized bodies) would then bypass the Athena envelope.
   */
  async onApplicationBootstrap(): Promise<void> {
    const ws = this.config.gateway.websocket;
    const fastify = this.adapterHost?.httpAdapter?.getInstance?.() as FastifyInstance | undefined;
    if (!ws.enabled || !fastify || typeof fastify.register !== 'function') return;
    await fastify.register(fastifyWebsocket, {
      // Frames up to max_frame_bytes are served; larger ones up to 4× get an error frame; beyond, ws closes (1009).
      options: { maxPayload: ws.max_frame_bytes * 4, perMessageDeflate: false },
    });
    fastify.route({
      method: 'GET',
      url: WSS_PATH,
      preValidation: (req, reply, done) => {
        if (!req.ws) {
          done();
          return;
        }
        let r: AthenaError | null | Promise<void>;
        try {
          r = this.checkUpgrade(req);
        } catch (e) {
          this.refuse(req, reply, e);
          return;
        }
        if (r instanceof Promise)
          r.then(
            () => done(),
            (e: unknown) => this.refuse(req, reply, e),
          );
        else if (r === null) done();
        else this.refuse(req, reply, r);
      },
      handler: (req, reply) => {
        const m = mapError(
          RealtimeErrors.upgradeRequired(
            'WebSocket upgrade required',
            `Connect with a WebSocket client to ${WSS_PATH}; see GET /wss/info and /openapi-wss.yaml`,
          ),
          req.id,
        );
        void reply.code(426).header('upgrade', 'websocket').send(m.body);
      },
      wsHandler: (socket: WebSocket, req: FastifyRequest) => this.open(socket, req),
    });
    const tick =
      ws.heartbeat_ms > 0
        ? ws.heartbeat_ms
        : ws.idle_timeout_ms > 0
          ? Math.max(250, Math.floor(ws.idle_timeout_ms / 2))
          : 0;
    if (tick > 0) {
      this.sweep = setInterval(() => this.onSweep(), tick);
      this.sweep.unref();
    }
    this.ready = true;
  }

  onApplicationShutdown(): void {
    if (this.sweep) clearInterval(this.sweep);
    this.sweep = null;
    this.ready = false;
    for (const c of [...this.registry.all()])
      this.registry.close(c, CLOSE.goingAway, 'server shutting down', 'shutdown');
  }

  /** Limits and, when a key is presented at the upgrade, authentication: null = accept, else the refusal. */
  private checkUpgrade(req: FastifyRequest): AthenaError | null | Promise<void> {
    const candidates = extractKeyCandidates(req.headers, req.url);
    const limit = this.registry.admit(keyIdOf(candidates));
    if (limit !== null) {
      this.metrics.rejected.inc({ reason: limit });
      const what = limit === 'max_connections' ? 'this instance' : 'this API key';
      const err = RealtimeErrors.tooManyConnections(
        'Too many WebSocket connections',
        `The WebSocket connection limit of ${what} is reached (gateway.websocket.${limit})`,
      );
      // The per-key limit is the caller's own rate: 429 (the catalogue's 503 is the instance's limit).
      return limit === 'max_connections' ? err : new AthenaError(429, err.code, err.message, err.detail, err.headers);
    }
    if (candidates.length === 0) return null;
    const call = this.upgradeCall(req);
    const p = this.authn.authenticate(call, { kind: 'table', action: 'read' }, candidates);
    return p instanceof Promise ? p.then(() => undefined) : null;
  }

  private refuse(req: FastifyRequest, reply: FastifyReply, e: unknown): void {
    if (!(e instanceof AthenaError && e.code === 'too_many_connections')) this.metrics.rejected.inc({ reason: 'auth' });
    const m = mapError(e, req.id);
    void reply.code(m.status).headers(m.headers).send(m.body);
  }

  private upgradeCall(req: FastifyRequest): GatewayCall {
    return {
      requestId: req.id,
      client: firstValue(req.headers['x-athena-client'], { trim: true }) || null,
      target: { directUri: null, supabaseUrl: undefined, supabaseKey: undefined },
      principal: { context: ANONYMOUS },
      cache: { read: true, write: true },
      stripNulls: undefined,
      tenant: { userId: null, companyId: null, organizationId: null },
      deadline: null,
      origin: {
        transport: 'websocket',
        method: 'GET',
        url: req.url,
        ip: req.ip ?? null,
        userAgent: firstValue(req.headers['user-agent']) || null,
        host: firstValue(req.headers.host) || null,
      },
    };
  }

  private open(socket: WebSocket, req: FastifyRequest): void {
    const candidates = extractKeyCandidates(req.headers, req.url);
    const now = Date.now();
    const conn: Connection = {
      id: randomUUID(),
      socket,
      ip: req.ip ?? null,
      userAgent: firstValue(req.headers['user-agent']) || null,
      host: firstValue(req.headers.host) || null,
      candidates,
      keyId: keyIdOf(candidates),
      openedAt: now,
      lastFrameAt: now,
      alive: true,
      closing: false,
      paused: false,
      inFlight: 0,
      framesIn: 0,
      framesOut: 0,
      eventsOut: 0,
      errors: 0,
      bytesOut: 0,
      subs: new Map(),
    };
    // Re-checked here: several upgrades may have passed preValidation concurrently.
    if (this.registry.admit(conn.keyId) !== null) {
      this.metrics.rejected.inc({ reason: 'max_connections' });
      socket.close(CLOSE.policy, 'too many connections');
      return;
    }
    this.registry.add(conn);
    socket.on('pong', () => {
      conn.alive = true;
    });
    socket.on('message', (data: RawData, isBinary: boolean) => this.onMessage(conn, data, isBinary));
    socket.on('close', (code: number) => {
      conn.closing = true;
      this.registry.remove(conn, code === CLOSE.tooBig ? 'too_big' : 'client');
    });
    socket.on('error', (e: Error) => {
      this.logger.debug({ connection_id: conn.id, err: e.message }, 'WebSocket error');
    });
    const ws = this.config.gateway.websocket;
    this.registry.send(
      conn,
      {
        type: 'hello',
        request_id: null,
        status: 'success',
        message: 'Athena WebSocket gateway ready',
        data: {
          connection_id: conn.id,
          actions: [...GATEWAY_ACTIONS, ...SUBSCRIPTION_ACTIONS],
          max_in_flight: ws.max_in_flight,
          max_frame_bytes: ws.max_frame_bytes,
          max_subscriptions: ws.max_subscriptions,
          heartbeat_ms: ws.heartbeat_ms,
          idle_timeout_ms: ws.idle_timeout_ms,
        },
      } satisfies ResponseFrame,
      'hello',
    );
  }

  private onMessage(conn: Connection, data: RawData, isBinary: boolean): void {
    if (conn.closing) return;
    conn.lastFrameAt = Date.now();
    if (isBinary) {
      this.metrics.frames.inc({ direction: 'in', kind: 'binary' });
      this.registry.close(
        conn,
        CLOSE.unsupportedData,
        'binary frames are not supported: send JSON text frames',
        'binary',
      );
      return;
    }
    const text = Array.isArray(data)
      ? Buffer.concat(data).toString('utf8')
      : Buffer.from(data as ArrayBuffer).toString('utf8');
    conn.framesIn++;
    this.metrics.frames.inc({ direction: 'in', kind: 'request' });
    const ws = this.config.gateway.websocket;
    if (conn.inFlight >= ws.max_in_flight) {
      // Over the bound: stop reading (TCP back-pressure); the frames ws had already parsed wait here.
      let p = this.backlog.get(conn);
      if (!p) this.backlog.set(conn, (p = { conn, frames: [] }));
      p.frames.push(text);
      if (!conn.paused) {
        conn.paused = true;
        conn.socket.pause();
      }
      return;
    }
    this.start(conn, text);
  }

  private start(conn: Connection, text: string): void {
    conn.inFlight++;
    this.metrics.inFlight.inc();
    this.handle(conn, text).then(
      (frame) => this.finish(conn, frame),
      (e: unknown) => this.finish(conn, errorFrame(null, e)),
    );
  }

  private finish(conn: Connection, frame: ResponseFrame): void {
    conn.inFlight--;
    this.metrics.inFlight.dec();
    if (frame.status === 'error') conn.errors++;
    this.registry.send(conn, frame, frame.status === 'error' ? 'error' : 'response');
    const p = this.backlog.get(conn);
    if (p && p.frames.length > 0 && !conn.closing) {
      this.start(conn, p.frames.shift()!);
      return;
    }
    if (conn.paused && !conn.closing) {
      conn.paused = false;
      conn.socket.resume();
    }
  }

  private async handle(conn: Connection, text: string): Promise<ResponseFrame> {
    const ws = this.config.gateway.websocket;
    if (Buffer.byteLength(text) > ws.max_frame_bytes) {
      return errorFrame(
        null,
        RealtimeErrors.frameTooLarge(
          'Frame too large',
          `A request frame holds at most ${ws.max_frame_bytes} bytes (gateway.websocket.max_frame_bytes)`,
        ),
      );
    }
    // The same depth and NUL limits as an HTTP body, checked before any recursive code runs.
    const refused = checkJsonText(text);
    if (refused) return errorFrame(null, refused);
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (e) {
      return errorFrame(
        null,
        RealtimeErrors.invalidJson('Malformed JSON frame', `The frame is not valid JSON: ${(e as Error).message}`),
      );
    }
    let f: RequestFrame;
    try {
      f = parseFrame(raw);
    } catch (e) {
      return errorFrame(rawRequestId(raw), e);
    }
    if (f.action === 'subscribe') return this.dispatcher.subscribe(conn, f);
    if (f.action === 'unsubscribe') return this.dispatcher.unsubscribe(conn, f);
    return this.dispatcher.gatewayFrame(conn, f);
  }

  /** Heartbeat (drop a connection that missed the last pong) and idle timeout. */
  private onSweep(): void {
    const ws = this.config.gateway.websocket;
    const now = Date.now();
    for (const c of [...this.registry.all()]) {
      if (ws.idle_timeout_ms > 0 && c.subs.size === 0 && c.inFlight === 0 && now - c.lastFrameAt > ws.idle_timeout_ms) {
        this.registry.close(c, CLOSE.idle, `idle for more than ${ws.idle_timeout_ms} ms`, 'idle');
        continue;
      }
      if (ws.heartbeat_ms <= 0) continue;
      if (!c.alive) {
        c.closing = true;
        this.registry.remove(c, 'heartbeat');
        c.socket.terminate();
        continue;
      }
      c.alive = false;
      try {
        c.socket.ping();
      } catch {
        /* closed meanwhile */
      }
    }
  }
}

/** Public id of the presented key (per-key connection limit); `admin` for the admin key; null when none parses. */
function keyIdOf(candidates: readonly { value: string }[]): string | null {
  for (const c of candidates) {
    const p = parseApiKey(c.value);
    if (p) return p.publicId;
  }
  return null;
}
