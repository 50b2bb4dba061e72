import { Body, Controller, Param, Post } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiProperty,
  ApiPropertyOptional,
  ApiTags,
} from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsDateString, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';
import { type Actor, CurrentActor } from '@huizhen/auth';
import {
  MISMATCH_REASON_LENGTH,
  type StudyConsultationLink,
  type StudyShare,
} from '@huizhen/contract';
import { Documented } from '@huizhen/platform-http';
import { ImagingService } from './imaging.service';

export class ShareStudyDto {
  @ApiProperty({ format: 'uuid', description: 'the specialist the study is shared with' })
  @IsUUID()
  practitionerId: string;
  @ApiProperty({ example: '2026-12-31T23:59:59+08:00', description: 'the share ends then' })
  @IsDateString()
  expiresAt: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

/** The consultation a study is attached to (the consultation's own route takes the study: AttachStudyDto). */
export class AttachToConsultationDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() consultationId: string;
  @ApiPropertyOptional({
    description:
      'why the study is attached although its DICOM header names another patient (409 patient_mismatch listed the differences); recorded in the audit trail',
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString()
  @MinLength(MISMATCH_REASON_LENGTH.min)
  @MaxLength(MISMATCH_REASON_LENGTH.max)
  patientMismatchReason?: string;
}

class StudyShareView implements StudyShare {
  @ApiProperty({ format: 'uuid', description: 'the access grant' }) id: string;
}

class StudyConsultationLinkView implements StudyConsultationLink {
  @ApiProperty() studyInstanceUid: string;
  @ApiProperty({ format: 'uuid' }) consultationId: string;
}

/** Sharing a study with a named specialist until a date, and attaching it to a consultation. */
@ApiTags('imaging')
@ApiBearerAuth()
@Controller('api/imaging/studies')
export class ImagingSharesController {
  constructor(private readonly imaging: ImagingService) {}

  @Documented(
    'Share a study with a named specialist until a date',
    'study_not_found',
    'share_expiry',
    'access_denied',
    'grant_grantee',
  )
  @ApiCreatedResponse({ type: StudyShareView })
  @Post(':study/shares')
  share(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Body() dto: ShareStudyDto,
  ): Promise<StudyShare> {
    return this.imaging.shareWithPractitioner(
      actor,
      study,
      dto.practitionerId,
      new Date(dto.expiresAt),
      dto.reason,
    );
  }

  @Documented(
    'Attach a study to a consultation (from the study’s side)',
    'study_not_found',
    'consultation_not_found',
    'access_denied',
    'patient_mismatch',
  )
  @ApiCreatedResponse({ type: StudyConsultationLinkView })
  @Post(':study/consultations')
  async attach(
    @CurrentActor() actor: Actor,
    @Param('study') study: string,
    @Body() dto: AttachToConsultationDto,
  ): Promise<StudyConsultationLink> {
    await this.imaging.attachToConsultation(
      actor,
      study,
      dto.consultationId,
      dto.patientMismatchReason,
    );
    return { studyInstanceUid: study, consultationId: dto.consultationId };
  }
}
