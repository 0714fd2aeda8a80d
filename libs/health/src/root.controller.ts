import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ATHENA_VERSION } from './version';

@ApiTags('Operations')
@Controller()
export class RootController {
  @Get()
  @ApiOperation({
    summary: 'Service information',
    description: 'Name, version and links to the documentation and the OpenAPI spec.',
  })
  @ApiOkResponse({
    description: 'Service information',
    schema: {
      example: {
        name: 'athena',
        version: ATHENA_VERSION,
        docs: '/docs',
        openapi: { yaml: '/openapi.yaml', json: '/openapi.json' },
        health: '/health',
        ready: '/ready',
        metrics: '/metrics',
      },
    },
  })
  root(): Record<string, unknown> {
    return {
      name: 'athena',
      description: 'Athena database gateway',
      version: ATHENA_VERSION,
      docs: '/docs',
      openapi: { yaml: '/openapi.yaml', json: '/openapi.json' },
      health: '/health',
      ready: '/ready',
      ping: '/ping',
      metrics: '/metrics',
    };
  }
}
