import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';
import {
  FORWARD_JOB_STATES,
  type ForwardFailureView,
  type ForwardJobFilter,
  type MachineFilter,
  type RoutingRuleChanges,
  type RoutingRuleInput,
  type ForwardJobState,
  type ForwardJobView,
  type RoutingDestinationView,
  type RoutingRuleView,
} from '@huizhen/contract';
import { AE_TITLE } from '../peers/peer-rules';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);
const trimEach = ({ value }: { value: unknown }) =>
  Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v.trim() : v)) : value;

/** A modality code (CS VR: upper case letters, digits, space, underscore; 16 at most). */
export const MODALITY = /^[A-Z0-9_ ]{1,16}$/;

export class RoutingQuery implements MachineFilter {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'one organization; none: every organization the admin manages',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class ForwardJobQuery extends RoutingQuery implements ForwardJobFilter {
  @ApiPropertyOptional({ enum: FORWARD_JOB_STATES })
  @IsOptional()
  @IsIn(FORWARD_JOB_STATES)
  state?: ForwardJobState;
  @ApiPropertyOptional({ default: 100, minimum: 1, maximum: 500 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(500)
  limit?: number;
}

export class CreateRoutingRuleDto implements RoutingRuleInput {
  @ApiProperty({ format: 'uuid', description: 'the source: studies stored for it are forwarded' })
  @IsUUID()
  organizationId: string;
  @ApiProperty({ example: 'CT 送县医院' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
  @ApiPropertyOptional({ example: ['CT'], description: 'none: every modality' })
  @IsOptional()
  @Transform(trimEach)
  @IsArray()
  @ArrayMaxSize(32)
  @ArrayUnique()
  @Matches(MODALITY, { each: true, message: 'each modality must be a code such as CT or DX' })
  modalities?: string[];
  @ApiPropertyOptional({ example: ['TOWN01_CT'], description: 'none: any sender' })
  @IsOptional()
  @Transform(trimEach)
  @IsArray()
  @ArrayMaxSize(32)
  @ArrayUnique()
  @Matches(AE_TITLE, { each: true, message: 'each calling AE title must be 1-16 characters' })
  callingAeTitles?: string[];
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'a DIMSE peer with host and port (C-STORE); or dicomwebPeerId',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUUID()
  dimsePeerId?: string | null;
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'a DICOMweb peer (STOW-RS); or dimsePeerId',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUUID()
  dicomwebPeerId?: string | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(200)
  description?: string | null;
}

/** A rule stays with its organization: make it anew under another. */
export class UpdateRoutingRuleDto
  extends PartialType(OmitType(CreateRoutingRuleDto, ['organizationId'] as const))
  implements RoutingRuleChanges {}

export class RoutingDestinationResponse implements RoutingDestinationView {
  @ApiProperty({ enum: ['dimse', 'dicomweb'] }) kind: 'dimse' | 'dicomweb';
  @ApiProperty({ format: 'uuid' }) peerId: string;
  @ApiProperty({ description: 'AE title or DICOMweb peer name' }) name: string;
}

export class RoutingRuleResponse implements RoutingRuleView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty({ type: String, isArray: true }) modalities: string[];
  @ApiProperty({ type: String, isArray: true }) callingAeTitles: string[];
  @ApiProperty({ type: RoutingDestinationResponse }) destination: RoutingDestinationResponse;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class RoutingRuleListResponse {
  @ApiProperty({ type: RoutingRuleResponse, isArray: true }) items: RoutingRuleResponse[];
}

export class ForwardFailureResponse implements ForwardFailureView {
  @ApiProperty({ format: 'date-time' }) at: string;
  @ApiProperty() attempt: number;
  @ApiProperty() reason: string;
}

export class ForwardJobResponse implements ForwardJobView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) ruleId: string;
  @ApiProperty() ruleName: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() studyInstanceUid: string;
  @ApiProperty({ type: RoutingDestinationResponse }) destination: RoutingDestinationResponse;
  @ApiProperty({ enum: FORWARD_JOB_STATES }) state: ForwardJobState;
  @ApiProperty() attempts: number;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) nextAttemptAt: string | null;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty({ type: ForwardFailureResponse, isArray: true }) failures: ForwardFailureResponse[];
  @ApiProperty() instancesTotal: number;
  @ApiProperty() instancesSent: number;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) doneAt: string | null;
}

export class ForwardJobListResponse {
  @ApiProperty({ type: ForwardJobResponse, isArray: true }) items: ForwardJobResponse[];
}
