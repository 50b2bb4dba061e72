export * from './directory-terms';
export * from './organization.entity';
export * from './consortium.entity';
export * from './practitioner.entity';
export * from './patient.entity';
export * from './national-id';
export * from './directory.service';
export * from './directory.module';
