import { ApiProperty, ApiPropertyOptional, PartialType } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsIn,
  IsISO8601,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
  MinLength,
} from 'class-validator';
import { SEXES, type Sex } from '@huizhen/directory';
import type { Patient, WithDates } from '@huizhen/contract';
import { PageQuery } from '@huizhen/platform-http';
import type { PatientChanges, PatientFilter, PatientInput } from '@huizhen/contract';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterPatientDto implements PatientInput {
  @ApiProperty({ example: '王小东' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(50)
  name: string;
  @ApiPropertyOptional({
    enum: SEXES,
    description: 'required unless nationalId is given (its 17th digit says the sex)',
  })
  @IsOptional()
  @IsIn(SEXES)
  sex?: Sex;
  @ApiPropertyOptional({
    example: '1968-04-12',
    description: 'required unless nationalId is given (digits 7-14 are the birth date)',
  })
  @IsOptional()
  @IsISO8601({ strict: true }, { message: 'birthDate must be a date YYYY-MM-DD' })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { message: 'birthDate must be a date YYYY-MM-DD' })
  birthDate?: string;
  @ApiPropertyOptional({
    description: '18-character resident identity number (GB 11643)',
    example: '11010519491231002X',
  })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toUpperCase() : value))
  @Matches(/^\d{17}[\dX]$/, {
    message: 'nationalId must be 18 characters: 17 digits and a digit or X',
  })
  nationalId?: string;
  @ApiPropertyOptional({ example: '13800138000' })
  @IsOptional()
  @Matches(/^\+?[0-9 -]{5,20}$/, { message: 'phone must be digits' })
  phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) address?: string;
}

export class UpdatePatientDto extends PartialType(RegisterPatientDto) implements PatientChanges {}

export class PatientQuery extends PageQuery implements PatientFilter {
  @ApiPropertyOptional({ description: 'name (partial, fuzzy) ' })
  @IsOptional()
  @IsString()
  @MaxLength(50)
  q?: string;
  @ApiPropertyOptional({ description: 'exact resident identity number' })
  @IsOptional()
  @Transform(({ value }) => (typeof value === 'string' ? value.trim().toUpperCase() : value))
  @Matches(/^\d{17}[\dX]$/, {
    message: 'nationalId must be 18 characters: 17 digits and a digit or X',
  })
  nationalId?: string;
}

/** A patient as the API answers (never the national ID itself). */
/** A patient as the patient routes answer it (the contract's Patient). */
export class PatientView implements Patient {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) organizationId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: SEXES }) sex: Sex;
  @ApiProperty({ format: 'date', example: '1960-01-01' }) birthDate: string;
  @ApiProperty({ nullable: true, type: String, example: '4301**********0012' }) nationalIdMasked:
    string | null;
  @ApiProperty({ nullable: true, type: String }) phone: string | null;
  @ApiProperty({ nullable: true, type: String }) address: string | null;
  @ApiProperty({ type: String, format: 'date-time' }) createdAt: string;
}

/** A patient as the service hands it over: the contract's Patient, its time a Date. */
export type PatientAnswer = WithDates<Patient, 'createdAt'>;
