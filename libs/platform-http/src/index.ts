export * from './domain-error';
export * from './error-body.filter';
export * from './configure-http-app';
export * from './platform.module';
export * from './bootstrap';
export * from './public-route';
export * from './page-query';
export * from './realtime-adapter';
