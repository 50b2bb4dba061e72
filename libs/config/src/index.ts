export * from './huizhen-config';
export * from './config.module';
export * from './machine-addresses';
export * from './start-errors';
