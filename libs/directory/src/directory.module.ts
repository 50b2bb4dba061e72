import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Consortium, ConsortiumMember } from './consortium.entity';
import { DirectoryService } from './directory.service';
import { DirectoryStore } from './directory-store';
import { Organization } from './organization.entity';
import { Patient } from './patient.entity';
import { Practitioner } from './practitioner.entity';

export const DIRECTORY_ENTITIES = [
  Organization,
  Consortium,
  ConsortiumMember,
  Practitioner,
  Patient,
];

@Module({
  imports: [TypeOrmModule.forFeature(DIRECTORY_ENTITIES)],
  providers: [DirectoryStore, DirectoryService],
  exports: [DirectoryService, DirectoryStore, TypeOrmModule],
})
export class DirectoryModule {}
