import { Global, Module } from '@nestjs/common';
import { Test, TestingModule } from '@nestjs/testing';
import { AthenaConfigModule, validateConfig } from '@athena/config';
import { MetricsService, ROOT_LOGGER } from '@athena/observability';
import { BackendDriver, PoolStats } from './backend-driver';
import { DirectConnectionService } from './direct/direct-connections.service';
import { PostgresDriverFactory, SupabaseDriverFactory } from './driver-factories';
import { DriverRegistry } from './driver-registry';
import { DriversModule } from './drivers.module';
import { CustomSupabaseService } from './supabase/custom-supabase.service';

/** A BackendDriver that touches no network: it records what was asked of it. */
class StubDriver extends BackendDriver {
  readonly backend = 'postgres' as const;
  closed = 0;
  pings = 0;
  constructor(readonly clientName: string) {
    super();
  }
  fetch(): never {
    throw new Error('not used');
  }
  insert(): never {
    throw new Error('not used');
  }
  update(): never {
    throw new Error('not used');
  }
  delete(): never {
    throw new Error('not used');
  }
  rawQuery(): never {
    throw new Error('not used');
  }
  describe(): never {
    throw new Error('not used');
  }
  async ping(): Promise<void> {
    this.pings++;
  }
  poolStats(): PoolStats {
    return { total: 0, idle: 0, waiting: 0 };
  }
  async close(): Promise<void> {
    this.closed++;
  }
}

/** A fake factory: hands out stubs and keeps the options each was created with. */
class FakeFactory {
  readonly made: Array<{ options: { clientName: string }; driver: StubDriver }> = [];
  create(options: { clientName: string }): BackendDriver {
    const driver = new StubDriver(options.clientName);
    this.made.push({ options, driver });
    return driver;
  }
}

// MetricsService normally comes from the (global) observability module, which also needs the control plane.
@Global()
@Module({
  providers: [
    MetricsService,
    {
      provide: ROOT_LOGGER,
      useValue: { child: () => ({ info: () => undefined, warn: () => undefined, error: () => undefined }) },
    },
  ],
  exports: [MetricsService, ROOT_LOGGER],
})
class MetricsOnlyModule {}

const config = validateConfig(
  {
    gateway: {
      pool: { max: 7 },
      direct_connections: { enabled: true, allowed_hosts: ['db.example'] },
      custom_supabase: { enabled: true, allowed_hosts: ['*.supabase.co'], allow_private_addresses: true },
    },
  },
  { env: {}, platform: 'linux', homedir: '/home/u' },
);

describe('driver factories (DI seam)', () => {
  let mod: TestingModule;
  let pg: FakeFactory;
  let supabase: FakeFactory;
  let open = false;

  beforeEach(async () => {
    pg = new FakeFactory();
    supabase = new FakeFactory();
    mod = await Test.createTestingModule({
      imports: [AthenaConfigModule.forRoot(config), MetricsOnlyModule, DriversModule],
    })
      .overrideProvider(PostgresDriverFactory)
      .useValue(pg)
      .overrideProvider(SupabaseDriverFactory)
      .useValue(supabase)
      .compile();
    await mod.init();
    open = true;
  });

  afterEach(async () => {
    if (open) await mod.close();
  });

  it('the registry builds a client adapter with the overriding factory, lazily and once, and closes it on shutdown', async () => {
    const registry = mod.get(DriverRegistry);
    expect(pg.made).toHaveLength(0);
    const desc = { name: 'main', backend: 'postgres' as const, uri: 'postgres://u:p@db.example:5432/app' };
    const first = registry.forClient(desc);
    expect(pg.made).toHaveLength(1);
    expect(first).toBe(pg.made[0].driver);
    expect(pg.made[0].options).toMatchObject({ clientName: 'main', uri: desc.uri, poolMax: 7 });
    expect(registry.forClient({ ...desc })).toBe(first);
    expect(pg.made).toHaveLength(1);
    expect(registry.entries()).toEqual([['main', first]]);

    open = false;
    await mod.close();
    expect(pg.made[0].driver.closed).toBe(1);
    expect(registry.entries()).toEqual([]);
  });

  it('direct connections open their pool with the overriding PostgreSQL factory', async () => {
    const direct = mod.get(DirectConnectionService);
    const opened = await direct.resolve('postgres://u:p@db.example:5432/app');
    expect(pg.made).toHaveLength(1);
    expect(opened).toBe(pg.made[0].driver);
    expect(pg.made[0].driver.pings).toBe(1);
    expect(pg.made[0].options).toMatchObject({ poolMax: config.gateway.direct_connections.pool_max });
    expect(direct.resolve('postgresql://u:p@db.example:5432/app')).toBe(opened);
    expect(pg.made).toHaveLength(1);
  });

  it('custom_supabase builds its adapters with the overriding Supabase factory', async () => {
    const custom = mod.get(CustomSupabaseService);
    const d = await custom.resolve('https://abc.supabase.co', 'k1');
    expect(supabase.made).toHaveLength(1);
    expect(d).toBe(supabase.made[0].driver);
    expect(await custom.resolve('https://abc.supabase.co', 'k1')).toBe(d);
    expect(supabase.made).toHaveLength(1);
  });
});
