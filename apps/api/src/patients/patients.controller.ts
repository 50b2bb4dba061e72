import { Body, Controller, Get, Param, ParseUUIDPipe, Patch, Post, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { ApiPage, Documented } from '@huizhen/platform-http';
import { CurrentActor, type Actor } from '@huizhen/auth';
import type { Page } from '@huizhen/contract';
import {
  PatientQuery,
  PatientView,
  RegisterPatientDto,
  UpdatePatientDto,
  type PatientAnswer,
} from './patient.dto';
import { PatientsService } from './patients.service';

@ApiTags('patients')
@ApiBearerAuth()
@Controller('api/patients')
export class PatientsController {
  constructor(private readonly patients: PatientsService) {}

  @Documented('Search patients of the caller’s organization (name, national ID)', 'access_denied')
  @ApiPage(PatientView)
  @Get()
  search(@CurrentActor() actor: Actor, @Query() q: PatientQuery): Promise<Page<PatientAnswer>> {
    return this.patients.search(actor, q);
  }

  @Documented(
    'Register a patient (sex and birth date read from the national ID when left out)',
    'access_denied',
    'patient_exists',
    'invalid_national_id',
    'national_id_birth_date',
    'patient_facts_required',
  )
  @ApiCreatedResponse({ type: PatientView })
  @Post()
  register(@CurrentActor() actor: Actor, @Body() dto: RegisterPatientDto): Promise<PatientAnswer> {
    return this.patients.register(actor, dto);
  }

  @Documented('Read a patient (audited)', 'patient_not_found', 'access_denied')
  @ApiOkResponse({ type: PatientView })
  @Get(':id')
  get(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
  ): Promise<PatientAnswer> {
    return this.patients.get(actor, id);
  }

  @Documented(
    'Correct a patient’s details',
    'patient_not_found',
    'access_denied',
    'patient_exists',
    'invalid_national_id',
    'national_id_birth_date',
  )
  @ApiOkResponse({ type: PatientView })
  @Patch(':id')
  update(
    @CurrentActor() actor: Actor,
    @Param('id', ParseUUIDPipe) id: string,
    @Body() dto: UpdatePatientDto,
  ): Promise<PatientAnswer> {
    return this.patients.update(actor, id, dto);
  }
}
