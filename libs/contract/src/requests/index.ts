/**
 * What the web sends: each route's body and query as the server's DTO classes accept them (each
 * DTO `implements` its shape here, so a field the server stops accepting breaks the server's
 * compile, and the web's api/ builds its requests from these types only).
 */
export * from './page';
export * from './auth';
export * from './directory';
export * from './patient';
export * from './consultation';
export * from './referral';
export * from './scheduling';
export * from './machines';
export * from './routing';
export * from './imaging';
