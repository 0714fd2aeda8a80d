import { DynamicModule, Global, Module } from '@nestjs/common';
import { ATHENA_CONFIG, type AthenaConfig } from './config.types';

/**
 * Provides the validated config under `ATHENA_CONFIG` to the whole app:
 * `AthenaConfigModule.forRoot(loadConfig(...).config)` in the root module, then `@Inject(ATHENA_CONFIG) cfg: AthenaConfig`.
 */
@Global()
@Module({})
export class AthenaConfigModule {
  static forRoot(config: AthenaConfig): DynamicModule {
    return {
      module: AthenaConfigModule,
      global: true,
      providers: [{ provide: ATHENA_CONFIG, useValue: config }],
      exports: [ATHENA_CONFIG],
    };
  }
}
