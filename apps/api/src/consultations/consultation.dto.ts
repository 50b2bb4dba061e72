import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import {
  EXAM_MODALITIES,
  MISMATCH_REASON_LENGTH,
  WORKLIST_BOXES,
  type WorklistBox,
} from '@huizhen/contract';
import { SPECIALTY_CODES } from '@huizhen/directory';
import {
  CONSULTATION_MODES,
  CONSULTATION_STATUSES,
  DICOM_UID,
  RECOMMENDATIONS,
  URGENCIES,
  type ConsultationMode,
  type ConsultationStatus,
  type Recommendation,
  type Urgency,
} from './consultation-terms';
import type {
  AddendumInput,
  AttachStudyInput,
  ConsultationInput,
  PatientMismatchConfirmation,
  MessageInput,
  MessagesFilter,
  MetricsFilter,
  ParticipantInvitation,
  ReadReceiptInput,
  ReasonInput,
  ReportDraftInput,
  ScheduleInput,
  WorklistFilter,
} from '@huizhen/contract';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const UID_MESSAGE =
  'each study instance UID must be a DICOM UID: digits and dots, at most 64 characters';
const asList = ({ value }: { value: unknown }) =>
  typeof value === 'string'
    ? value
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : value;

/** The exam asked of the requesting centre's modality (it goes on that centre's worklist). */
export class RequestedExamDto {
  @ApiProperty({ enum: EXAM_MODALITIES, example: 'DX' }) @IsIn(EXAM_MODALITIES) modality: string;
  @ApiProperty({ example: '胸部正位 DR', description: 'the requested procedure (DICOM LO)' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(64)
  // A DICOM LO value: no backslash (the value separator) and no control characters.
  @Matches(/^[^\\\p{Cc}]+$/u, {
    message: 'procedure: no backslash or control characters',
  })
  procedure: string;
}

/** A study named at creation whose header was seen to disagree, and why it is attached anyway. */
export class PatientMismatchConfirmationDto implements PatientMismatchConfirmation {
  @ApiProperty()
  @IsString()
  @MaxLength(64)
  @Matches(DICOM_UID, { message: UID_MESSAGE })
  studyInstanceUid: string;
  @ApiProperty({ example: '外院检查，影像系统中登记的是患者曾用名' })
  @Transform(trim)
  @IsString()
  @MinLength(MISMATCH_REASON_LENGTH.min)
  @MaxLength(MISMATCH_REASON_LENGTH.max)
  reason: string;
}

export class CreateConsultationDto implements ConsultationInput {
  @ApiProperty({ format: 'uuid' }) @IsUUID() patientId: string;
  @ApiProperty({ enum: SPECIALTY_CODES, example: 'radiology' })
  @IsIn(SPECIALTY_CODES)
  specialty: string;
  @ApiProperty({ enum: URGENCIES }) @IsIn(URGENCIES) urgency: Urgency;
  @ApiProperty({ enum: CONSULTATION_MODES }) @IsIn(CONSULTATION_MODES) mode: ConsultationMode;
  @ApiProperty({ example: '右下肺阴影，请协助判断是否为肺炎' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  clinicalQuestion: string;
  @ApiPropertyOptional({ example: '咳嗽发热3天，体温38.5℃' })
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  history?: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'Study Instance UIDs of imaging already stored',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @MaxLength(64, { each: true })
  @Matches(DICOM_UID, { each: true, message: UID_MESSAGE })
  studyInstanceUids?: string[];
  @ApiPropertyOptional({
    type: [PatientMismatchConfirmationDto],
    description:
      'studies of studyInstanceUids attached although their header names another patient (409 patient_mismatch), each with why',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => PatientMismatchConfirmationDto)
  patientMismatches?: PatientMismatchConfirmationDto[];
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() preferredPractitionerId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() preferredOrganizationId?: string;
  @ApiPropertyOptional({
    type: RequestedExamDto,
    description: 'an exam the requesting centre performs: it goes on its modality worklist',
  })
  @IsOptional()
  @ValidateNested()
  @Type(() => RequestedExamDto)
  requestedExam?: RequestedExamDto;
  @ApiPropertyOptional({ description: 'submit at once instead of keeping a draft' })
  @IsOptional()
  @IsBoolean()
  submit?: boolean;
}

export class ReasonDto implements ReasonInput {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(1) @MaxLength(2000) reason: string;
}

export class ScheduleDto implements ScheduleInput {
  @ApiProperty({ example: '2026-12-01T09:30:00+08:00' }) @IsISO8601({ strict: true }) start: string;
}

export class AttachStudyDto implements AttachStudyInput {
  @ApiProperty()
  @IsString()
  @MaxLength(64)
  @Matches(DICOM_UID, { message: UID_MESSAGE })
  studyInstanceUid: string;
  @ApiPropertyOptional({
    description:
      'why the study is attached although its DICOM header names another patient (409 patient_mismatch listed the differences); recorded in the audit trail',
    example: '外院检查，影像系统中登记的是患者曾用名',
  })
  @IsOptional()
  @Transform(trim)
  @IsString()
  @MinLength(MISMATCH_REASON_LENGTH.min)
  @MaxLength(MISMATCH_REASON_LENGTH.max)
  patientMismatchReason?: string;
}

export class UploadQuery {
  @ApiPropertyOptional({ description: 'original file name', example: '心电图.pdf' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  fileName?: string;
}

export class InviteParticipantDto implements ParticipantInvitation {
  @ApiProperty({ format: 'uuid' }) @IsUUID() practitionerId: string;
  @ApiProperty({ enum: ['guest_specialist', 'observer'] })
  @IsIn(['guest_specialist', 'observer'])
  role: 'guest_specialist' | 'observer';
}

export class PostMessageDto implements MessageInput {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(1) @MaxLength(4000) body: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'ids of files uploaded to this consultation',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(10)
  @IsUUID('all', { each: true })
  attachmentIds?: string[];
}

export class MessagesQuery implements MessagesFilter {
  @ApiPropertyOptional({ description: 'messages after this id' })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(0)
  after?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 100 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit = 100;
}

export class ReadReceiptDto implements ReadReceiptInput {
  @ApiProperty() @IsInt() @Min(1) lastReadMessageId: number;
}

export class ReportDraftDto implements ReportDraftInput {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20000) findings?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20000) impression?: string;
  @ApiPropertyOptional({ enum: RECOMMENDATIONS })
  @IsOptional()
  @IsIn(RECOMMENDATIONS)
  recommendation?: Recommendation;
  @ApiPropertyOptional({ format: 'uuid', description: 'the hospital, for refer_to_named_hospital' })
  @IsOptional()
  @IsUUID()
  referralOrganizationId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20000) freeText?: string;
  @ApiPropertyOptional({
    type: [String],
    description: 'studies read (default: every attached study)',
  })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(DICOM_UID, { each: true, message: UID_MESSAGE })
  studies?: string[];
}

export class AddendumDto implements AddendumInput {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(1) @MaxLength(20000) text: string;
  @ApiPropertyOptional({ description: 'corrected impression, when the addendum changes it' })
  @IsOptional()
  @IsString()
  @MaxLength(20000)
  impression?: string;
}

export { WORKLIST_BOXES, type WorklistBox };

export class WorklistQuery implements WorklistFilter {
  @ApiPropertyOptional({
    enum: WORKLIST_BOXES,
    description: 'default by role: specialist queue, township doctor sent, hub coordinator hub',
  })
  @IsOptional()
  @IsIn(WORKLIST_BOXES)
  box?: WorklistBox;
  @ApiPropertyOptional({ description: 'comma-separated statuses' })
  @IsOptional()
  @Transform(asList)
  @IsArray()
  @IsIn(CONSULTATION_STATUSES, { each: true })
  status?: ConsultationStatus[];
  @ApiPropertyOptional({ enum: URGENCIES }) @IsOptional() @IsIn(URGENCIES) urgency?: Urgency;
  @ApiPropertyOptional({ enum: SPECIALTY_CODES })
  @IsOptional()
  @IsIn(SPECIALTY_CODES)
  specialty?: string;
  @ApiPropertyOptional({ format: 'uuid', description: 'requesting organization' })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
  @ApiPropertyOptional({ description: 'created at or after' })
  @IsOptional()
  @IsISO8601()
  from?: string;
  @ApiPropertyOptional({ description: 'created before' }) @IsOptional() @IsISO8601() to?: string;
  @ApiPropertyOptional({ description: 'nextCursor of the previous page' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 200, default: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit = 50;
}

export class MetricsQuery implements MetricsFilter {
  @ApiPropertyOptional({ description: 'submitted at or after (default: 30 days ago)' })
  @IsOptional()
  @IsISO8601()
  from?: string;
  @ApiPropertyOptional({ description: 'submitted before (default: now)' })
  @IsOptional()
  @IsISO8601()
  to?: string;
}
