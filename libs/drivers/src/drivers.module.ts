import { Global, Module } from '@nestjs/common';
import { DriverRegistry } from './driver-registry';

@Global()
@Module({ providers: [DriverRegistry], exports: [DriverRegistry] })
export class DriversModule {}
