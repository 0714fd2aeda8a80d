import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AthenaConfigModule } from './config.module';
import { ATHENA_CONFIG, type AthenaConfig } from './config.types';
import { CONTROL_PLANE_TARGET, type ControlPlaneTarget } from './control-plane-target';
import { validateConfig } from './validate';

@Injectable()
class Consumer {
  constructor(@Inject(ATHENA_CONFIG) readonly cfg: AthenaConfig) {}
}
@Module({ providers: [Consumer], exports: [Consumer] })
class FeatureModule {}

describe('AthenaConfigModule', () => {
  it('provides the config globally under ATHENA_CONFIG', async () => {
    const config = validateConfig({ api: { port: 1234 } }, { env: {}, platform: 'linux', homedir: '/h' });
    const mod = await Test.createTestingModule({
      imports: [AthenaConfigModule.forRoot(config), FeatureModule],
    }).compile();
    expect(mod.get(Consumer).cfg).toBe(config);
    expect(mod.get<AthenaConfig>(ATHENA_CONFIG).api.port).toBe(1234);
  });

  it('provides the boot-resolved control-plane target under CONTROL_PLANE_TARGET when given', async () => {
    const config = validateConfig({}, { env: {}, platform: 'linux', homedir: '/h' });
    const target: ControlPlaneTarget = { uri: 'postgres://u:p@cp.example/athena_logging', origin: 'configured' };
    const mod = await Test.createTestingModule({
      imports: [AthenaConfigModule.forRoot(config, { controlPlane: target }), FeatureModule],
    }).compile();
    expect(mod.get<ControlPlaneTarget>(CONTROL_PLANE_TARGET)).toBe(target);
  });
});
