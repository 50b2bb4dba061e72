import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Consortium, ConsortiumMember } from './consortium.entity';
import { DirectoryService } from './directory.service';
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
  providers: [DirectoryService],
  exports: [DirectoryService, TypeOrmModule],
})
export class DirectoryModule {}
