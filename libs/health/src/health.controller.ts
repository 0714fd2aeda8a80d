import { Controller, Get, Res, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheckService, HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
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
  @ApiOperation({ summary: 'Readiness', description: '503 until migrations ran and the server accepts work; 503 again while draining on shutdown.' })
  @ApiOkResponse({ description: 'Ready', schema: { example: { status: 'ready' } } })
  @ApiServiceUnavailableResponse({ description: 'Not ready', schema: { example: { status: 'not_ready', reason: 'draining' } } })
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
  @ApiOperation({ summary: 'Health', description: 'Control-plane database, Redis (when configured) and a per-client summary. 200 when healthy, 503 otherwise.' })
  @ApiOkResponse({ description: 'Healthy', schema: { example: healthExample } })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down (same shape, status "error")' })
  async check(@Res() reply: FastifyReply): Promise<void> {
    const checks = [() => this.checkControlPlane(), () => this.checkClients()];
    if (this.redis.configured) checks.push(() => this.checkRedis());
    reply.header('cache-control', 'no-store');
    try {
      reply.send(await this.health.check(checks));
    } catch (e) {
      if (e instanceof ServiceUnavailableException) reply.status(503).send(e.getResponse());
      else throw e;
    }
  }

  private async checkControlPlane(): Promise<HealthIndicatorResult> {
    const i = this.indicator.check('control_plane');
    const started = Date.now();
    try {
      await this.controlPlane.ping(2000);
      return i.up({ origin: this.controlPlane.target.origin, migrated: this.controlPlane.isReady, latency_ms: Date.now() - started });
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
