import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiOkResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsOptional, IsString, MaxLength, MinLength } from 'class-validator';
import { type Actor, CurrentActor } from '@huizhen/auth';
import {
  type ConfirmArrivalInput,
  PATIENT_MISMATCHES,
  type RejectArrivalInput,
  type PatientMismatch,
  WORKLIST_ARRIVAL_STATUSES,
  type WorklistArrival,
  type WorklistArrivalStatus,
} from '@huizhen/contract';
import {
  DateTime,
  DateTimeOrNull,
  Documented,
  Id,
  IdOrNull,
  TextOrNull,
} from '@huizhen/platform-http';
import { type ArrivalAnswer, WorklistArrivals } from './worklist-arrivals';

/** What deciding on a held study may answer besides success. */
const DECISION_ERRORS = [
  'arrival_not_found',
  'consultation_not_found',
  'access_denied',
  'arrival_decided',
] as const;

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class ConfirmArrivalDto implements ConfirmArrivalInput {
  @ApiProperty({
    example: '患者在检查台登记时姓名录入有误，已核对身份证',
    description: 'why these images are this patient’s after all (recorded with the decision)',
  })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(500)
  reason: string;
}

export class RejectArrivalDto implements RejectArrivalInput {
  @ApiPropertyOptional({ example: '非本患者的检查' })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MaxLength(500)
  reason?: string;
}

class ImagePatientView {
  @TextOrNull() name: string | null;
  @TextOrNull() id: string | null;
  @TextOrNull() sex: string | null;
  @TextOrNull({ description: 'YYYYMMDD as the images say' }) birthDate: string | null;
}

class WorklistArrivalView implements WorklistArrival {
  @Id() id: string;
  @Id() consultationId: string;
  @ApiProperty() studyInstanceUid: string;
  @ApiProperty() accessionNumber: string;
  @ApiProperty({ enum: WORKLIST_ARRIVAL_STATUSES }) status: WorklistArrivalStatus;
  @ApiProperty({ enum: PATIENT_MISMATCHES, isArray: true }) mismatches: PatientMismatch[];
  @ApiProperty({ type: ImagePatientView }) imagePatient: ImagePatientView;
  @TextOrNull() studyDescription: string | null;
  @ApiProperty({ type: [String] }) modalities: string[];
  @ApiProperty() instances: number;
  @DateTime() arrivedAt: string;
  @IdOrNull() decidedBy: string | null;
  @TextOrNull() decisionReason: string | null;
  @DateTimeOrNull() decidedAt: string | null;
}

/**
 * The studies that arrived for a consultation's requested exam (modality worklist): the list,
 * and the requester's decision on one held because its patient differs.
 */
@ApiTags('imaging')
@ApiBearerAuth()
@Controller('api/imaging')
export class WorklistController {
  constructor(private readonly arrivals: WorklistArrivals) {}

  @Documented(
    'Studies that arrived for the consultation’s requested exam, held ones included',
    'consultation_not_found',
    'access_denied',
  )
  @ApiOkResponse({ type: [WorklistArrivalView] })
  @Get('consultations/:consultation/arrivals')
  list(
    @CurrentActor() actor: Actor,
    @Param('consultation', ParseUUIDPipe) consultation: string,
  ): Promise<ArrivalAnswer[]> {
    return this.arrivals.arrivalsOf(actor, consultation);
  }

  @Documented(
    'Attach a held study after all, saying why its patient is the request’s',
    ...DECISION_ERRORS,
  )
  @ApiOkResponse({ type: WorklistArrivalView })
  @HttpCode(200)
  @Post('arrivals/:arrival/confirm')
  confirm(
    @CurrentActor() actor: Actor,
    @Param('arrival', ParseUUIDPipe) arrival: string,
    @Body() dto: ConfirmArrivalDto,
  ): Promise<ArrivalAnswer> {
    return this.arrivals.confirm(actor, arrival, dto.reason);
  }

  @Documented(
    'Refuse a held study: it stays unattached and the exam is back on the worklist',
    ...DECISION_ERRORS,
  )
  @ApiOkResponse({ type: WorklistArrivalView })
  @HttpCode(200)
  @Post('arrivals/:arrival/reject')
  reject(
    @CurrentActor() actor: Actor,
    @Param('arrival', ParseUUIDPipe) arrival: string,
    @Body() dto: RejectArrivalDto,
  ): Promise<ArrivalAnswer> {
    return this.arrivals.reject(actor, arrival, dto.reason || null);
  }
}
