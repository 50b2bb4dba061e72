export * from './request-context';
export * from './json-logger';
export * from './metrics';
export * from './health-registry';
export * from './observability.module';
