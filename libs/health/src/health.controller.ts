import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckResult, HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { FastifyReply } from 'fastify';
import { ClientCatalogService } from '@athena/catalog';
import { DriverRegistry } from '@athena/drivers';
import { ControlPlaneService } from '@athena/store';
import { LifecycleService } from './lifecycle.service';
import { RedisProbe } from './redis-probe.service';

const healthExample = {
  status: 'ok',
  info: { control_plane: { status: 'up', origin: 'embedded' }, clients: { status: 'up', total: 1 } },
  error: {},
  details: {},
};

@ApiTags('Operations')
@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicator: HealthIndicatorService,
    private readonly controlPlane: ControlPlaneService,
    private readonly redis: RedisProbe,
    private readonly catalog: ClientCatalogService,
    private readonly drivers: DriverRegistry,
    private readonly lifecycle: LifecycleService,
  ) {}

  @Get('ping')
  @ApiOperation({ summary: 'Liveness', description: 'Answers `pong` without touching any dependency.' })
  @ApiProduces('text/plain')
  @ApiOkResponse({ description: 'The process is alive', schema: { type: 'string', example: 'pong' } })
  ping(@Res() reply: FastifyReply): void {
    reply.header('content-type', 'text/plain; charset=utf-8').header('cache-control', 'no-store').send('pong');
  }

  @Get('ready')
  @ApiOperation({
    summary: 'Readiness',
    description: '503 until migrations ran and the server accepts work; 503 again while draining on shutdown.',
  })
  @ApiOkResponse({ description: 'Ready', schema: { example: { status: 'ready' } } })
  @ApiServiceUnavailableResponse({
    description: 'Not ready',
    schema: { example: { status: 'not_ready', reason: 'draining' } },
  })
  ready(@Res() reply: FastifyReply): void {
    let reason: string | null = null;
    if (this.lifecycle.isDraining) reason = 'draining';
    else if (!this.controlPlane.isReady) reason = 'control_plane_not_ready';
    else if (!this.lifecycle.isListening) reason = 'starting';
    reply.header('cache-control', 'no-store');
    if (reason) reply.status(503).header('retry-after', '1').send({ status: 'not_ready', reason });
    else reply.send({ status: 'ready' });
  }

  @Get('health')
  @ApiOperation({
    summary: 'Health',
    description:
      'Control-plane database, Redis (when configured) and a per-client summary. 200 `ok` when healthy; 200 `degraded` when only the optional Redis cache tier is down (the gateway still serves: the cache falls back to memory); 503 `error` when the gateway cannot serve (control plane down).',
  })
  @ApiOkResponse({
    description: 'Healthy (`ok`), or serving without Redis (`degraded`, Redis listed under `error`)',
    schema: { example: healthExample },
  })
  @ApiServiceUnavailableResponse({ description: 'A required dependency is down (same shape, status "error")' })
  async check(@Res() reply: FastifyReply): Promise<void> {
    const redis = this.redis.configured ? this.checkRedis() : null;
    reply.header('cache-control', 'no-store');
    let result: HealthCheckResult;
    let status = 200;
    try {
      result = await this.health.check([() => this.checkControlPlane(), () => this.checkClients()]);
    } catch (e) {
      if (!(e instanceof ServiceUnavailableException)) throw e;
      result = e.getResponse() as HealthCheckResult;
      status = 503;
    }
    if (redis) {
      // Redis is an optional tier: down makes the answer `degraded`, never 503 on its own.
      const r = await redis;
      const up = r.redis.status === 'up';
      result = {
        ...result,
        status: status === 200 && !up ? ('degraded' as HealthCheckResult['status']) : result.status,
        info: up ? { ...result.info, ...r } : result.info,
        error: up ? result.error : { ...result.error, ...r },
        details: { ...result.details, ...r },
      };
    }
    reply.status(status).send(result);
  }

  private async checkControlPlane(): Promise<HealthIndicatorResult> {
    const i = this.indicator.check('control_plane');
    const started = Date.now();
    try {
      await this.controlPlane.ping(2000);
      return i.up({
        origin: this.controlPlane.target.origin,
        migrated: this.controlPlane.isReady,
        latency_ms: Date.now() - started,
      });
    } catch (e) {
      return i.down({ origin: this.controlPlane.target.origin, message: (e as Error).message });
    }
  }

  private async checkRedis(): Promise<HealthIndicatorResult> {
    const i = this.indicator.check('redis');
    try {
      return i.up({ latency_ms: await this.redis.ping(1000) });
    } catch (e) {
      return i.down({ message: (e as Error).message });
    }
  }

  /** Summary only (no probes): per-client state and pool usage. `/health/cluster` probes each backend. */
  private async checkClients(): Promise<HealthIndicatorResult> {
    const pools = new Map(this.drivers.entries().map(([name, d]) => [name, d.poolStats()]));
    const clients = this.catalog.list().map((c) => ({
      name: c.name,
      backend: c.backend,
      source: c.source,
      active: c.active,
      frozen: c.frozen,
      configured: c.descriptor !== null,
      pool: pools.get(c.name) ?? null,
    }));
    return this.indicator.check('clients').up({ total: clients.length, clients });
  }
}
