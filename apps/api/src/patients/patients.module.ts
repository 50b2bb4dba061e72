import { Module } from '@nestjs/common';
import { DirectoryModule } from '@huizhen/directory';
import { PatientsController } from './patients.controller';
import { PatientsService } from './patients.service';

@Module({ imports: [DirectoryModule], controllers: [PatientsController], providers: [PatientsService], exports: [PatientsService] })
export class PatientsModule {}
