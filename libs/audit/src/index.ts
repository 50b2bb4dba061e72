export * from './audit-event.entity';
export * from './audit-chain';
export * from './audit-terms';
export * from './audit.service';
export * from './audit.module';
