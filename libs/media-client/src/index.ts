export * from './media-client';
export * from './emitter';
