export * from './pipeline-templates';
export * from './pipelines.service';
export * from './pipelines.module';
