import { Global, Module } from '@nestjs/common';
import { DirectConnectionService } from './direct/direct-connections.service';
import { DriverRegistry } from './driver-registry';
import { CustomSupabaseService } from './supabase/custom-supabase.service';

@Global()
@Module({
  providers: [DriverRegistry, CustomSupabaseService, DirectConnectionService],
  exports: [DriverRegistry, CustomSupabaseService, DirectConnectionService],
})
export class DriversModule {}
