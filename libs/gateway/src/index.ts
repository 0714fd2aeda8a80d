export * from './gateway.module';
export * from './gateway.service';
export { GatewayController } from './gateway.controller';
export { DeferredAcceptedDataDto, DeferredAcceptedDto, PipelineSourceDto } from './dto/gateway.dto';
export * from './write-events';
