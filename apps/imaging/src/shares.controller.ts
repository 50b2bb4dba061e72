import { Body, Controller, Param, Post } from '@nestjs/common';
import { IsDateString, IsOptional, IsString, IsUUID, MaxLength } from 'class-validator';
import { type Actor, CurrentActor } from '@huizhen/auth';
import { ImagingService } from './imaging.service';

export class ShareStudyDto {
  @IsUUID() practitionerId: string;
  @IsDateString() expiresAt: string;
  @IsOptional() @IsString() @MaxLength(500) reason?: string;
}

export class AttachStudyDto {
  @IsUUID() consultationId: string;
}

/** Sharing a study with a named specialist until a date, and attaching it to a consultation. */
@Controller('api/imaging/studies')
export class ImagingSharesController {
  constructor(private readonly imaging: ImagingService) {}

  @Post(':study/shares')
  share(@CurrentActor() actor: Actor, @Param('study') study: string, @Body() dto: ShareStudyDto) {
    return this.imaging.shareWithPractitioner(actor, study, dto.practitionerId, new Date(dto.expiresAt), dto.reason);
  }

  @Post(':study/consultations')
  async attach(@CurrentActor() actor: Actor, @Param('study') study: string, @Body() dto: AttachStudyDto) {
    await this.imaging.attachToConsultation(actor, study, dto.consultationId);
    return { studyInstanceUid: study, consultationId: dto.consultationId };
  }
}
