import { ApiProperty, ApiPropertyOptional, OmitType, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMinSize,
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
  DIMSE_PEER_DIRECTIONS,
  type DicomwebPeerView,
  type DimsePeerDirection,
  type DimsePeerView,
} from '@huizhen/contract';
import { AE_TITLE, CREDENTIALS_REF } from './peer-rules';
import type {
  DicomwebPeerChanges,
  DicomwebPeerInput,
  DimsePeerChanges,
  DimsePeerInput,
  MachineFilter,
} from '@huizhen/contract';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class PeerQuery implements MachineFilter {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'one organization; none: every organization the admin manages',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class CreateDimsePeerDto implements DimsePeerInput {
  @ApiProperty({ format: 'uuid' }) @IsUUID() organizationId: string;
  @ApiProperty({ example: 'TOWN01_DR', description: '1-16 characters, no backslash' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @Matches(AE_TITLE, {
    message: 'aeTitle must be 1-16 printable ASCII characters without a backslash',
  })
  aeTitle: string;
  @ApiPropertyOptional({ example: '10.0.0.7', nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(253)
  @Matches(/^[A-Za-z0-9.:-]+$/, { message: 'host must be a DNS name or an IP address' })
  host?: string | null;
  @ApiPropertyOptional({ example: 104, nullable: true, type: Number })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(65535)
  port?: number | null;
  @ApiProperty({ enum: DIMSE_PEER_DIRECTIONS, isArray: true, example: ['store', 'query'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(DIMSE_PEER_DIRECTIONS, { each: true })
  directions: DimsePeerDirection[];
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ example: 'DR 数字化X线摄影机', nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(200)
  description?: string | null;
}

/** A peer stays with its organization: register it anew under another. */
export class UpdateDimsePeerDto
  extends PartialType(OmitType(CreateDimsePeerDto, ['organizationId'] as const))
  implements DimsePeerChanges {}

export class CreateDicomwebPeerDto implements DicomwebPeerInput {
  @ApiProperty({ format: 'uuid' }) @IsUUID() organizationId: string;
  @ApiProperty({ example: '市医院 PACS' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
  @ApiProperty({ example: 'https://pacs.city.example/dicom-web' })
  @IsString()
  @MaxLength(2000)
  baseUrl: string;
  @ApiPropertyOptional({
    format: 'uuid',
    nullable: true,
    type: String,
    description: 'inbound: the service account whose key the peer calls us with',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUUID()
  serviceAccountId?: string | null;
  @ApiPropertyOptional({
    example: 'CITY_PACS_TOKEN',
    nullable: true,
    type: String,
    description:
      'outbound: the name of the environment variable holding the secret, never the secret',
  })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @Matches(CREDENTIALS_REF, { message: 'credentialsRef must be an environment variable name' })
  credentialsRef?: string | null;
  @ApiPropertyOptional({ default: true }) @IsOptional() @IsBoolean() enabled?: boolean;
  @ApiPropertyOptional({ nullable: true, type: String })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsString()
  @MaxLength(200)
  description?: string | null;
}

export class UpdateDicomwebPeerDto
  extends PartialType(OmitType(CreateDicomwebPeerDto, ['organizationId'] as const))
  implements DicomwebPeerChanges {}

export class DimsePeerResponse implements DimsePeerView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() aeTitle: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty({ nullable: true, type: String }) host: string | null;
  @ApiProperty({ nullable: true, type: Number }) port: number | null;
  @ApiProperty({ enum: DIMSE_PEER_DIRECTIONS, isArray: true }) directions: DimsePeerDirection[];
  @ApiProperty() enabled: boolean;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class DicomwebPeerResponse implements DicomwebPeerView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty() baseUrl: string;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) serviceAccountId: string | null;
  @ApiProperty({ nullable: true, type: String }) credentialsRef: string | null;
  @ApiProperty() enabled: boolean;
  @ApiProperty({ nullable: true, type: String }) description: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
}

export class DimsePeerListResponse {
  @ApiProperty({ type: DimsePeerResponse, isArray: true }) items: DimsePeerResponse[];
}

export class DicomwebPeerListResponse {
  @ApiProperty({ type: DicomwebPeerResponse, isArray: true }) items: DicomwebPeerResponse[];
}
