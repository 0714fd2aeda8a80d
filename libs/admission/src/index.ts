export * from './admission.service';
export * from './admission.http';
export * from './admission.module';
export * from './errors';
export * from './paced-budget';
