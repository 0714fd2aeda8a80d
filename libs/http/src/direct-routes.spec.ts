import 'reflect-metadata';
import { Body, Controller, Get, Header, HttpCode, Post, Query, Res, UseInterceptors } from '@nestjs/common';
import Fastify, { FastifyReply, FastifyRequest } from 'fastify';
import { AthenaError, GatewayCall } from '@athena/common';
import { installDirectRoutes, planDirectRoute, DirectRouteDeps } from './direct-routes';
import { Call, HttpReply } from './http-call';
import { mapError } from './error-mapping';

class Dto {
  a!: string;
}

@Controller('things')
class Things {
  @Post('fetch')
  @HttpCode(200)
  fetch(@Call() call: GatewayCall, @Body() body: unknown, @Res({ passthrough: true }) reply: HttpReply) {
    const b = body as { fail?: string; status?: number };
    if (b.fail === 'athena') throw new AthenaError(409, 'thing_conflict', 'conflict', 'detail');
    if (b.fail === 'bug') throw new Error('secret internals');
    if (b.status) reply.code(b.status);
    return Promise.resolve({ client: call.client, body });
  }

  @Post('created')
  created(@Body() body: unknown) {
    return body;
  }

  @Get('query')
  query(@Query('x') x: string) {
    return x;
  }

  @Post('typed')
  typed(@Body() body: Dto) {
    return body;
  }

  @Post('intercepted')
  @UseInterceptors({ intercept: (_c: unknown, n: { handle(): unknown }) => n.handle() } as never)
  intercepted(@Body() body: unknown) {
    return body;
  }

  @Post('headed')
  @Header('x-a', 'b')
  headed(@Body() body: unknown) {
    return body;
  }

  notARoute() {
    return 1;
  }
}

function deps(allow: boolean | Promise<boolean> = true, seen: string[] = []): DirectRouteDeps {
  return {
    activate: (_req, handler, cls) => {
      seen.push(`${cls.name}.${handler.name}`);
      return allow;
    },
    fail: (err: unknown, req: FastifyRequest, reply: FastifyReply) => {
      const m = mapError(err, req.id);
      reply.status(m.status).headers(m.headers).send(m.body);
    },
    refused: () => new AthenaError(403, 'forbidden', 'Forbidden'),
  };
}

async function appWith(methods: string[], d: DirectRouteDeps) {
  const app = Fastify();
  const t = new Things();
  installDirectRoutes(
    app,
    methods.map((method) => ({ controller: t, method })),
    d,
  );
  // What Nest's adapter does: one route per method, with a handler the direct one replaces.
  const nest = () => {
    throw new Error('Nest handler called');
  };
  app.post('/things/fetch', nest);
  app.post('/things/created', nest);
  await app.ready();
  return app;
}

describe('direct routes', () => {
  it('reads the route, status and parameters from the Nest metadata', () => {
    const p = planDirectRoute({ controller: new Things(), method: 'fetch' }, deps());
    expect([p.verb, p.url, p.label]).toEqual(['POST', '/things/fetch', 'Things.fetch']);
  });

  it.each([
    ['query', /parameter 0 is not @Call\(\), @Body\(\) or @Res/],
    ['typed', /@Body\(\) parameter 0 is typed/],
    ['intercepted', /it has interceptors/],
    ['headed', /it has @Header\(\)/],
    ['notARoute', /not an HTTP route method/],
    ['missing', /no such method/],
  ])('refuses %s at boot with the reason', (method, why) => {
    expect(() => planDirectRoute({ controller: new Things(), method }, deps())).toThrow(why);
  });

  it('serves the controller method: guard, @HttpCode, @Call, @Body, passthrough reply', async () => {
    const seen: string[] = [];
    const app = await appWith(['fetch', 'created'], deps(true, seen));
    const r = await app.inject({
      method: 'POST',
      url: '/things/fetch',
      headers: { 'x-athena-client': 'c1' },
      payload: { q: 1 },
    });
    expect(r.statusCode).toBe(200);
    expect(r.json()).toEqual({ client: 'c1', body: { q: 1 } });
    expect(seen).toEqual(['Things.fetch']);
    const s = await app.inject({ method: 'POST', url: '/things/fetch', payload: { status: 202 } });
    expect(s.statusCode).toBe(202);
    const c = await app.inject({ method: 'POST', url: '/things/created', payload: { z: 2 } });
    expect([c.statusCode, c.json()]).toEqual([201, { z: 2 }]);
    await app.close();
  });

  it('maps errors and guard refusals to the envelope', async () => {
    const app = await appWith(['fetch'], deps());
    const a = await app.inject({ method: 'POST', url: '/things/fetch', payload: { fail: 'athena' } });
    expect([a.statusCode, a.json().code]).toEqual([409, 'thing_conflict']);
    const b = await app.inject({ method: 'POST', url: '/things/fetch', payload: { fail: 'bug' } });
    expect(b.statusCode).toBe(500);
    expect(b.body).not.toContain('secret internals');
    await app.close();
    for (const allow of [false, Promise.resolve(false)]) {
      const denied = await appWith(['fetch'], deps(allow));
      const d = await denied.inject({ method: 'POST', url: '/things/fetch', payload: {} });
      expect([d.statusCode, d.json().code]).toEqual([403, 'forbidden']);
      await denied.close();
    }
  });

  it('fails the boot when the app-wide Nest setup has something the direct handler does not reproduce', async () => {
    const app = Fastify();
    installDirectRoutes(app, [{ controller: new Things(), method: 'fetch' }], {
      ...deps(),
      unsupportedGlobals: () => 'global TimingInterceptor',
    });
    app.post('/things/fetch', () => undefined);
    await expect(app.ready()).rejects.toThrow(/cannot reproduce the app's global Nest setup: global TimingInterceptor/);
  });

  it('fails the boot when Nest never registers a direct route', async () => {
    const app = Fastify();
    installDirectRoutes(app, [{ controller: new Things(), method: 'fetch' }], deps());
    await expect(app.ready()).rejects.toThrow(/never registered by Nest: Things.fetch \(POST \/things\/fetch\)/);
  });
});
