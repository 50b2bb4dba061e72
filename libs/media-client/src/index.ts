export * from './media-client';
export * from './emitter';
export * from './receive-health';
export * from './publish-profile';
export * from './link-probe';
export * from './precheck-advice';
