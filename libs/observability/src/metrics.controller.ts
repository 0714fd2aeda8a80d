import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import { MetricsService } from './metrics.service';

@ApiTags('Operations')
@Controller()
export class MetricsController {
  constructor(private readonly metrics: MetricsService) {}

  @Get('metrics')
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({
    summary: 'Prometheus metrics',
    description:
      'Text exposition format: uptime, HTTP and gateway counters/histograms, pool gauges, log-writer health, process metrics.',
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Prometheus text',
    schema: { type: 'string', example: '# TYPE athena_uptime_seconds gauge\nathena_uptime_seconds 12.5\n' },
  })
  async scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
