import { Module } from '@nestjs/common';
import { DirectConnectionService } from './direct/direct-connections.service';
import { DRIVER_FACTORIES } from './driver-factories';
import { DriverRegistry } from './driver-registry';
import { CustomSupabaseService } from './supabase/custom-supabase.service';

/**
 * The backend adapters: one factory provider per backend (overridable in a test module), the registry of
 * configured clients, direct connections and custom_supabase. Needs only config and observability (both global).
 */
@Module({
  providers: [...DRIVER_FACTORIES, DriverRegistry, CustomSupabaseService, DirectConnectionService],
  exports: [...DRIVER_FACTORIES, DriverRegistry, CustomSupabaseService, DirectConnectionService],
})
export class DriversModule {}
