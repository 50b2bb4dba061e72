export * from './messages';
export * from './validate';
export * from './capabilities-key';
export * from './link-guard';
