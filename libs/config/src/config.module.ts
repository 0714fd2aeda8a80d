import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { CONTROL_PLANE_TARGET, type ControlPlaneTarget } from './control-plane-target';
import { ATHENA_CONFIG, type AthenaConfig } from './config.types';

/** Settings resolved at boot from the config (not part of config.yaml itself). */
export interface RuntimeSettings {
  /** Where the control plane lives (the store module needs it); provided under `CONTROL_PLANE_TARGET`. */
  controlPlane?: ControlPlaneTarget;
}

/**
 * Provides the validated config under `ATHENA_CONFIG` to the whole app:
 * `AthenaConfigModule.forRoot(loadConfig(...).config, { controlPlane })` in the root module, then
 * `@Inject(ATHENA_CONFIG) cfg: AthenaConfig`. With config and observability, the only global module.
 */
@Global()
@Module({})
export class AthenaConfigModule {
  static forRoot(config: AthenaConfig, runtime: RuntimeSettings = {}): DynamicModule {
    const providers: Provider[] = [{ provide: ATHENA_CONFIG, useValue: config }];
    const exports: Array<string | symbol> = [ATHENA_CONFIG];
    if (runtime.controlPlane) {
      providers.push({ provide: CONTROL_PLANE_TARGET, useValue: runtime.controlPlane });
      exports.push(CONTROL_PLANE_TARGET);
    }
    return { module: AthenaConfigModule, global: true, providers, exports };
  }
}
