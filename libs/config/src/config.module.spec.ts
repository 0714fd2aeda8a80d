import { Inject, Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AthenaConfigModule } from './config.module';
import { ATHENA_CONFIG, type AthenaConfig } from './config.types';
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
    const mod = await Test.createTestingModule({ imports: [AthenaConfigModule.forRoot(config), FeatureModule] }).compile();
    expect(mod.get(Consumer).cfg).toBe(config);
    expect(mod.get<AthenaConfig>(ATHENA_CONFIG).api.port).toBe(1234);
  });
});
