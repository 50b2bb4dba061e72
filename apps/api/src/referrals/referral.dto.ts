import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
} from 'class-validator';
import { REFERRAL_STATUSES, type ReferralStatus } from '@huizhen/contract';
import { SPECIALTY_CODES } from '@huizhen/directory';
import { PageQuery } from '@huizhen/platform-http';
import type {
  DownReferralInput,
  ReasonInput,
  ReferralAnswer,
  ReferralFilter,
  ReferralInput,
} from '@huizhen/contract';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class CreateReferralDto implements ReferralInput {
  @ApiProperty({
    format: 'uuid',
    description: 'the consultation whose signed report recommends the referral',
  })
  @IsUUID()
  consultationId: string;
  @ApiProperty({ example: '疑似肺癌，需上级医院进一步检查' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  reason: string;
  @ApiPropertyOptional({
    description: 'green channel (绿色通道): priority at the receiving hospital',
  })
  @IsOptional()
  @IsBoolean()
  greenChannel?: boolean;
  @ApiPropertyOptional({ description: 'required for a down-referral (follow_up_township)' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  followUpPlan?: string;
  @ApiPropertyOptional({
    enum: SPECIALTY_CODES,
    description: 'receiving department (default: the consultation’s specialty)',
  })
  @IsOptional()
  @IsIn(SPECIALTY_CODES)
  specialty?: string;
}

export class DownReferralDto implements DownReferralInput {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(1) @MaxLength(4000) reason: string;
  @ApiProperty({ example: '出院后每周复查血常规，两周后乡镇卫生院复诊' })
  @Transform(trim)
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  followUpPlan: string;
}

export class AnswerDto implements ReferralAnswer {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) note?: string;
}

export class DeclineReferralDto implements ReasonInput {
  @ApiProperty() @Transform(trim) @IsString() @MinLength(1) @MaxLength(2000) reason: string;
}

export class ReferralQuery extends PageQuery implements ReferralFilter {
  @ApiPropertyOptional({ enum: ['incoming', 'outgoing', 'hub'], default: 'incoming' })
  @IsOptional()
  @IsIn(['incoming', 'outgoing', 'hub'])
  box: 'incoming' | 'outgoing' | 'hub' = 'incoming';
  @ApiPropertyOptional({ enum: REFERRAL_STATUSES })
  @IsOptional()
  @IsIn(REFERRAL_STATUSES)
  status?: ReferralStatus;
}
