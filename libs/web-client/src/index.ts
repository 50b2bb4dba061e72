export * from './web-client.module';
export * from './web-client.middleware';
