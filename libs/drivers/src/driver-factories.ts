import { Injectable } from '@nestjs/common';
import { BackendDriver } from './backend-driver';
import { PostgresDriver, PostgresDriverOptions } from './postgres/postgres.driver';
import { ScyllaDriver, ScyllaDriverOptions } from './scylla/scylla.driver';
import { SupabaseDriver, SupabaseDriverOptions } from './supabase/supabase.driver';

/**
 * Builds the adapters of one backend. Each backend has its own injectable factory (the class is the DI token), so
 * a test module can replace one adapter: `.overrideProvider(PostgresDriverFactory).useValue({ create: () => stub })`.
 */
export abstract class DriverFactory<O> {
  abstract create(options: O): BackendDriver;
}

@Injectable()
export class PostgresDriverFactory extends DriverFactory<PostgresDriverOptions> {
  create(options: PostgresDriverOptions): BackendDriver {
    return new PostgresDriver(options);
  }
}

@Injectable()
export class ScyllaDriverFactory extends DriverFactory<ScyllaDriverOptions> {
  create(options: ScyllaDriverOptions): BackendDriver {
    return new ScyllaDriver(options);
  }
}

@Injectable()
export class SupabaseDriverFactory extends DriverFactory<SupabaseDriverOptions> {
  create(options: SupabaseDriverOptions): BackendDriver {
    return new SupabaseDriver(options);
  }
}

/** The factory providers, one per backend. */
export const DRIVER_FACTORIES = [PostgresDriverFactory, ScyllaDriverFactory, SupabaseDriverFactory];
