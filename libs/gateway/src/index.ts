export * from './gateway.module';
export * from './gateway.service';
export { DeferredAcceptedDataDto, DeferredAcceptedDto } from './dto/gateway.dto';
export * from './write-events';
