import { Module } from '@nestjs/common';
import { AuthModule } from '@athena/auth';
import { GatewayModule } from '@athena/gateway';
import { PipelineTemplates } from './pipeline-templates';
import { PipelinesController } from './pipelines.controller';
import { PipelinesService } from './pipelines.service';

@Module({
  imports: [AuthModule, GatewayModule],
  controllers: [PipelinesController],
  providers: [PipelineTemplates, PipelinesService],
  exports: [PipelinesService, PipelineTemplates],
})
export class PipelinesModule {}
