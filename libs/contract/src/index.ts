/**
 * The one contract between the server and the web client: words (statuses, transitions), the
 * realtime events and the error codes, as typed catalogues, and the shapes of the answers (views/). No runtime dependency: the web
 * bundles it from source (apps/web/vite.config.ts alias), the server imports it as @huizhen/contract.
 */
export * from './directory';
export * from './consultation';
export * from './referral';
export * from './scheduling';
export * from './events';
export * from './errors';
export * from './views/wire';
export * from './views/directory';
export * from './views/patient';
export * from './views/consultation';
export * from './views/referral';
export * from './views/scheduling';
export * from './views/audit';
export * from './views/imaging';
export * from './views/routing';
export * from './machines';
export * from './requests';
export * from './patient-match';
