import { Controller, Get, Header, Inject } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiSecurity,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { AdminOnly, PublicRoute } from '@athena/auth';
import { ATHENA_CONFIG, AthenaConfig } from '@athena/config';
import { LifecycleService } from '@athena/health';
import { ok } from '@athena/http';
import { asyncApiYaml } from './asyncapi';
import { ConnectionRegistry } from './connection-registry';
import { EventBus } from './event-bus';
import { GATEWAY_ACTIONS, SUBSCRIPTION_ACTIONS } from './frames';
import { WSS_PATH, WssServer } from './wss.server';

/** `GET /wss/info` (§9.1, with a truthful `state`), `GET /openapi-wss.yaml`, and the admin view of the registry. */
@ApiTags('WebSocket')
@Controller()
export class WssController {
  constructor(
    @Inject(ATHENA_CONFIG) private readonly config: AthenaConfig,
    private readonly server: WssServer,
    private readonly registry: ConnectionRegistry,
    private readonly bus: EventBus,
    private readonly lifecycle: LifecycleService,
  ) {}

  @Get('wss/info')
  @PublicRoute()
  @ApiOperation({
    summary: 'WebSocket gateway information',
    description:
      '`state`: `serving` (upgrades accepted), `draining` (shutting down) or `disabled` (gateway.websocket.enabled is false). Frames: GET /openapi-wss.yaml.',
  })
  @ApiOkResponse({
    description: 'The transport, its state, actions, limits and the connection registry totals',
    schema: {
      example: {
        status: 'success',
        message: 'Athena WebSocket gateway',
        data: {
          transport: 'wss',
          path: WSS_PATH,
          state: 'serving',
          actions: [...GATEWAY_ACTIONS],
          subscription_actions: [...SUBSCRIPTION_ACTIONS],
          events: 'redis',
          connections: { open: 1, max: 10000, max_per_key: 100, subscriptions: 2 },
        },
      },
    },
  })
  info() {
    const ws = this.config.gateway.websocket;
    const state = !ws.enabled || !this.server.serving ? 'disabled' : this.lifecycle.isDraining ? 'draining' : 'serving';
    return ok('Athena WebSocket gateway', {
      transport: 'wss',
      path: WSS_PATH,
      state,
      notes: [
        'JSON text frames; one hello frame after the upgrade, then one response per request frame, matched by request_id.',
        'Each frame runs through the same authentication, rights, admission, cache, logs and metrics as the HTTP route in "path".',
        "subscribe/unsubscribe: live insert/update/delete events of a table, filtered by conditions and the subscriber's rights.",
        'Frame contract: GET /openapi-wss.yaml (AsyncAPI 3.0).',
      ],
      actions: [...GATEWAY_ACTIONS],
      subscription_actions: [...SUBSCRIPTION_ACTIONS],
      events: this.bus.mode,
      limits: {
        max_in_flight: ws.max_in_flight,
        max_frame_bytes: ws.max_frame_bytes,
        send_queue_max_bytes: ws.send_queue_max_bytes,
        max_subscriptions: ws.max_subscriptions,
        heartbeat_ms: ws.heartbeat_ms,
        idle_timeout_ms: ws.idle_timeout_ms,
      },
      connections: this.registry.snapshot(false),
    });
  }

  @Get('openapi-wss.yaml')
  @PublicRoute()
  @Header('content-type', 'application/yaml; charset=utf-8')
  @ApiProduces('application/yaml')
  @ApiOperation({
    summary: 'AsyncAPI 3.0 description of /wss/gateway',
    description: 'The channel, its request/response/event frames, error codes and close codes.',
  })
  @ApiOkResponse({ description: 'AsyncAPI 3.0 document (YAML)', schema: { type: 'object' } })
  spec(): string {
    return asyncApiYaml();
  }

  @Get('admin/wss/connections')
  @AdminOnly()
  @ApiSecurity('adminKey')
  @ApiOperation({
    summary: 'Live WebSocket connections of this instance',
    description: 'Per-connection counters and subscriptions (admin key).',
  })
  @ApiOkResponse({
    description: 'The connection registry',
    schema: {
      example: {
        status: 'success',
        message: 'WebSocket connections',
        data: { open: 1, max: 10000, max_per_key: 100, subscriptions: 1, list: [] },
      },
    },
  })
  @ApiUnauthorizedResponse({ description: 'Admin key missing or wrong' })
  connections() {
    return ok('WebSocket connections', this.registry.snapshot(true));
  }
}
