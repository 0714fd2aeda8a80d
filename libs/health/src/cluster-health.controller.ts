import { Controller, Get, Header, Req } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { AuthenticationService, extractKeyCandidates } from '@athena/auth';
import { aggregateView, ClusterHealthService } from './cluster-health.service';

const example = {
  status: 'degraded',
  message: 'One or more clients are unreachable',
  version: '0.1.0',
  cargo_toml_version: '0.1.0',
  athena_api: 'online',
  athena_deadpool: 'online',
  athena_scylladb: 'offline',
  checked_at: '2026-01-01T00:00:00.000Z',
  cached: false,
  timeout_ms: 2000,
  clients: [
    { name: 'main', backend: 'postgres', source: 'config', status: 'online', latency_ms: 1.7, error: null },
    {
      name: 'reports',
      backend: 'postgres',
      source: 'config',
      status: 'offline',
      latency_ms: null,
      error: 'backend_unavailable',
    },
    {
      name: 'sb',
      backend: 'supabase',
      source: 'config',
      status: 'online',
      latency_ms: 40.2,
      error: null,
      breaker: 'closed',
    },
  ],
  direct_connections: { enabled: false, pools: 0 },
  mirrors: [],
};

@ApiTags('Operations')
@Controller()
export class ClusterHealthController {
  constructor(
    private readonly cluster: ClusterHealthService,
    private readonly authn: AuthenticationService,
  ) {}

  @Get('health/cluster')
  @Header('cache-control', 'no-store')
  @ApiOperation({
    summary: 'Per-client connectivity and latency',
    description:
      'Probes every configured client of every backend (PostgreSQL, ScyllaDB/Cassandra, Supabase), a bounded number at a time, each bounded by `gateway.health_cluster.timeout_ms`; the answer is reused for `gateway.health_cluster.cache_ms` (`cached: true`). Always 200: read `status` (`ok` | `degraded`). With the admin key: each client\'s `status`, latency and error class (`clients`); without it: only `client_counts` (`detail: "aggregate"`). Errors are stable classes, never raw driver messages.',
  })
  @ApiHeader({ name: 'X-Athena-Admin-Key', required: false, description: 'The admin key shows the per-client detail' })
  @ApiOkResponse({
    description: 'Cluster health (admin view; the anonymous view replaces `clients` with `client_counts`)',
    schema: { example },
  })
  async get(@Req() req: FastifyRequest) {
    const admin = this.authn.presentsAdminKey(extractKeyCandidates(req.headers, req.url));
    const snap = await this.cluster.snapshot();
    return admin ? snap : aggregateView(snap);
  }
}
