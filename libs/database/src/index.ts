export * from './database.module';
export * from './data-source-options';
export * from './embedded-postgres';
export * from './migration-runner';
export { MIGRATIONS } from './migrations';
export * from './database-health';
export * from './database-endpoint';
export * from './transaction-guard';
export * from './prepared-statement';
