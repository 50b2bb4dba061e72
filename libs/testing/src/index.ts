export * from './test-database';
export * from './test-app';
export * from './directory-fixture';
export * from './embedded-data-dir';
