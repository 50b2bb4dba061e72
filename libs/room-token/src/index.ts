export * from './room-token';
