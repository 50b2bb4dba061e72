import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsDateString,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
} from 'class-validator';
import {
  SERVICE_ACCOUNT_SCOPES,
  type CreatedServiceAccountView,
  type ServiceAccountScope,
  type ServiceAccountView,
} from '@huizhen/contract';
import type { MachineFilter, ServiceAccountInput } from '@huizhen/contract';

export class CreateServiceAccountDto implements ServiceAccountInput {
  @ApiProperty({ format: 'uuid', description: 'the organization the machine acts for' })
  @IsUUID()
  organizationId: string;
  @ApiProperty({ example: '县医院 Orthanc' })
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  name: string;
  @ApiProperty({ enum: SERVICE_ACCOUNT_SCOPES, isArray: true, example: ['dicomweb:read'] })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(SERVICE_ACCOUNT_SCOPES, { each: true })
  scopes: ServiceAccountScope[];
  @ApiPropertyOptional({ example: '2030-01-01T00:00:00Z', description: 'none: until revoked' })
  @IsOptional()
  @IsDateString()
  expiresAt?: string;
}

export class ServiceAccountQuery implements MachineFilter {
  @ApiPropertyOptional({
    format: 'uuid',
    description: 'one organization; none: every organization the admin manages',
  })
  @IsOptional()
  @IsUUID()
  organizationId?: string;
}

export class ServiceAccountResponse implements ServiceAccountView {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SERVICE_ACCOUNT_SCOPES, isArray: true }) scopes: ServiceAccountScope[];
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) createdBy: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) lastUsedAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) expiresAt: string | null;
  @ApiProperty({ format: 'date-time', nullable: true, type: String }) revokedAt: string | null;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) revokedBy: string | null;
  @ApiProperty() active: boolean;
}

export class CreatedServiceAccountResponse implements CreatedServiceAccountView {
  @ApiProperty({ type: ServiceAccountResponse }) account: ServiceAccountResponse;
  @ApiProperty({ description: 'hz_sk_<id>_<secret>: shown this once, stored only hashed' })
  key: string;
}

export class ServiceAccountListResponse {
  @ApiProperty({ type: ServiceAccountResponse, isArray: true }) items: ServiceAccountResponse[];
}
