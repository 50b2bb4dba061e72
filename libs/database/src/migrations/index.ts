import type { MigrationInterface } from 'typeorm';
import { Foundation1764000000000 } from './1764000000000-foundation';
import { Consultations1764200000000 } from './1764200000000-consultations';

/** Every migration, in order. Listed explicitly: no globs (they break under ESM tests and bundling). */
export const MIGRATIONS: (new () => MigrationInterface)[] = [Foundation1764000000000, Consultations1764200000000];
