import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import {
  CONSORTIUM_KINDS,
  ORGANIZATION_LEVELS,
  ROLES,
  SPECIALTY_CODES,
  TITLES,
  type ConsortiumKind,
  type OrganizationLevel,
  type Role,
  type Title,
} from '@huizhen/directory';
import type {
  Consortium,
  DirectoryTerms,
  Organization,
  Practitioner,
  WithDates,
} from '@huizhen/contract';
import { PageQuery } from '@huizhen/platform-http';
import type {
  ConsortiumChanges,
  ConsortiumFilter,
  ConsortiumInput,
  OrganizationChanges,
  OrganizationFilter,
  OrganizationInput,
  PractitionerChanges,
  PractitionerFilter,
  PractitionerInput,
} from '@huizhen/contract';

export class CreateOrganizationDto implements OrganizationInput {
  @ApiProperty({ example: '清河县人民医院' })
  @IsString()
  @MinLength(2)
  @MaxLength(100)
  name: string;
  @ApiProperty({ enum: ORGANIZATION_LEVELS }) @IsIn(ORGANIZATION_LEVELS) level: OrganizationLevel;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) @IsOptional() @IsUUID() parentId?:
    string | null;
  @ApiProperty({ example: '430121', description: '6-digit administrative region code' })
  @Matches(/^\d{6}$/, { message: 'regionCode must be a 6-digit administrative region code' })
  regionCode: string;
}

export class UpdateOrganizationDto
  extends PartialType(CreateOrganizationDto)
  implements OrganizationChanges
{
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
}

export class OrganizationQuery extends PageQuery implements OrganizationFilter {
  @ApiPropertyOptional({ enum: ORGANIZATION_LEVELS })
  @IsOptional()
  @IsIn(ORGANIZATION_LEVELS)
  level?: OrganizationLevel;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() parentId?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) q?: string;
}

export class CreateConsortiumDto implements ConsortiumInput {
  @ApiProperty({ example: '清河县域医共体' })
  @IsString()
  @MinLength(2)
  @MaxLength(100)
  name: string;
  @ApiProperty({ enum: CONSORTIUM_KINDS }) @IsIn(CONSORTIUM_KINDS) kind: ConsortiumKind;
  @ApiProperty({ format: 'uuid' }) @IsUUID() leadOrganizationId: string;
  @ApiProperty({
    type: [String],
    description: 'member organization ids (the lead is added if missing)',
  })
  @IsArray()
  @ArrayUnique()
  @IsUUID('all', { each: true })
  memberIds: string[];
}

export class UpdateConsortiumDto
  extends PartialType(CreateConsortiumDto)
  implements ConsortiumChanges {}

export class ConsortiumQuery extends PageQuery implements ConsortiumFilter {
  @ApiPropertyOptional({ enum: CONSORTIUM_KINDS })
  @IsOptional()
  @IsIn(CONSORTIUM_KINDS)
  kind?: ConsortiumKind;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() organizationId?: string;
}

export class CreatePractitionerDto implements PractitionerInput {
  @ApiProperty({ example: 'zhang.wei' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @Matches(/^[a-z0-9][a-z0-9._-]{2,63}$/, {
    message: 'username must be 3-64 characters: lower-case letters, digits, dot, dash, underscore',
  })
  username: string;
  @ApiProperty({ example: '张伟' }) @IsString() @MinLength(1) @MaxLength(50) displayName: string;
  @ApiProperty({ description: 'at least 10 characters with letters and digits' })
  @IsString()
  @MinLength(10)
  @MaxLength(256)
  password: string;
  @ApiProperty({ format: 'uuid' }) @IsUUID() organizationId: string;
  @ApiProperty({ enum: ROLES, isArray: true })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayUnique()
  @IsIn(ROLES, { each: true })
  roles: Role[];
  @ApiPropertyOptional({ enum: SPECIALTY_CODES, nullable: true })
  @IsOptional()
  @IsIn(SPECIALTY_CODES)
  specialty?: string | null;
  @ApiPropertyOptional({ enum: TITLES, nullable: true })
  @IsOptional()
  @IsIn(TITLES)
  title?: Title | null;
}

export class UpdatePractitionerDto
  extends PartialType(CreatePractitionerDto)
  implements PractitionerChanges
{
  @ApiPropertyOptional() @IsOptional() @IsBoolean() active?: boolean;
}

export class PractitionerQuery extends PageQuery implements PractitionerFilter {
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() organizationId?: string;
  @ApiPropertyOptional({ enum: SPECIALTY_CODES })
  @IsOptional()
  @IsIn(SPECIALTY_CODES)
  specialty?: string;
  @ApiPropertyOptional({ enum: ROLES }) @IsOptional() @IsIn(ROLES) role?: Role;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) q?: string;
}

// ---- answers: OpenAPI response schemas implementing the contract's views (libs/contract
// views/directory.ts), and what the services hand over before JSON (the times as Dates) ----

export class OrganizationView implements Organization {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: ORGANIZATION_LEVELS }) level: OrganizationLevel;
  @ApiProperty({ format: 'uuid', nullable: true, type: String }) parentId: string | null;
  @ApiProperty({ example: '430121' }) regionCode: string;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ description: 'the level in Chinese (on reads of one organization)' })
  levelName?: string;
}

export class ConsortiumView implements Consortium {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: CONSORTIUM_KINDS }) kind: ConsortiumKind;
  @ApiProperty({ format: 'uuid' }) leadOrganizationId: string;
  @ApiProperty({ type: [String], description: 'member organizations (the lead is one)' })
  memberIds: string[];
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ description: 'the kind in Chinese (on reads of one consortium)' })
  kindName?: string;
}

export class PractitionerView implements Practitioner {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() username: string;
  @ApiProperty() displayName: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty({ enum: ROLES, isArray: true }) roles: Role[];
  @ApiProperty({ enum: SPECIALTY_CODES, nullable: true, type: String }) specialty: string | null;
  @ApiProperty({ enum: TITLES, nullable: true }) title: Title | null;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
  @ApiProperty({ type: String, format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({
    description: 'the specialty in Chinese (on reads of one practitioner)',
    nullable: true,
    type: String,
  })
  specialtyName?: string | null;
  @ApiPropertyOptional({
    description: 'the title in Chinese (on reads of one practitioner)',
    nullable: true,
    type: String,
  })
  titleName?: string | null;
}

export class DirectoryTermsView implements DirectoryTerms {
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    description: 'specialty code → Chinese name',
  })
  specialties: Record<string, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } }) titles: Record<
    Title,
    string
  >;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  organizationLevels: Record<OrganizationLevel, string>;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'string' } })
  consortiumKinds: Record<ConsortiumKind, string>;
}

export type OrganizationAnswer = WithDates<Organization, 'createdAt' | 'updatedAt'>;
export type ConsortiumAnswer = WithDates<Consortium, 'createdAt' | 'updatedAt'>;
export type PractitionerAnswer = WithDates<Practitioner, 'createdAt' | 'updatedAt'>;
