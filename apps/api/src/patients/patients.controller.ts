import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { CurrentActor, type Actor } from '@huizhen/auth';
import { PatientQuery, RegisterPatientDto, UpdatePatientDto } from './patient.dto';
import { PatientsService } from './patients.service';

@ApiTags('patients')
@ApiBearerAuth()
@Controller('api/patients')
export class PatientsController {
  constructor(private readonly patients: PatientsService) {}

  @Get()
  search(@CurrentActor() actor: Actor, @Query() q: PatientQuery) {
    return this.patients.search(actor, q);
  }

  @Post()
  register(@CurrentActor() actor: Actor, @Body() dto: RegisterPatientDto) {
    return this.patients.register(actor, dto);
  }

  @Get(':id')
  get(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string) {
    return this.patients.get(actor, id);
  }

  @Patch(':id')
  update(@CurrentActor() actor: Actor, @Param('id', ParseUUIDPipe) id: string, @Body() dto: UpdatePatientDto) {
    return this.patients.update(actor, id, dto);
  }
}
