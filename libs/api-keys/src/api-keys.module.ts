import { Module } from '@nestjs/common';
import { StoreModule } from '@athena/store';
import { ApiKeyConfigController, ApiKeyRightsController, ApiKeysController } from './api-keys.controller';
import { ApiKeysAdminService } from './api-keys-admin.service';

/** Admin routes for API keys, rights and enforcement (static admin key only). */
@Module({
  imports: [StoreModule],
  controllers: [ApiKeysController, ApiKeyRightsController, ApiKeyConfigController],
  providers: [ApiKeysAdminService],
})
export class ApiKeysModule {}
