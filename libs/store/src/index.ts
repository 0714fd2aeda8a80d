export * from './control-plane.service';
export * from './data-source';
export * from './entities/athena-client.entity';
export * from './log-rows';
export * from './logs.repository';
export * from './clients.repository';
export * from './store.module';
export * from './embedded';
