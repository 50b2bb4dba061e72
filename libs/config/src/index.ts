export * from './huizhen-config';
export * from './config.module';
