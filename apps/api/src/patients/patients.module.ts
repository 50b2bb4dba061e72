import { Module } from '@nestjs/common';
import { DirectoryModule } from '@huizhen/directory';
import { PatientsController } from './patients.controller';
import { PatientStore } from './patient-store';
import { PatientsService } from './patients.service';

@Module({
  imports: [DirectoryModule],
  controllers: [PatientsController],
  providers: [PatientStore, PatientsService],
  exports: [PatientsService],
})
export class PatientsModule {}
