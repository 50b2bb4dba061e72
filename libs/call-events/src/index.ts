export * from './call-events';
export * from './call-events.module';
